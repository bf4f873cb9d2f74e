"""What the person who deploys the app configured, read in one place under one rule.

Runs on the Streamlit script thread, at every rerun: :func:`current` is the app's only reader
of ``st.secrets`` and of the process environment; everything else asks the
:class:`DeploymentSettings` it returns, a frozen pair of plain mappings (pure, so tests build
one from two dicts). One lookup rule for every setting (:meth:`DeploymentSettings.get`):

- the setting's name in Streamlit secrets, unless missing, None or a blank string;
- else its environment name (the same name unless it has its own) in the environment, unless
  missing or blank;
- else unset (None). Strings come back stripped; secrets keep their TOML types (lists, numbers).

What is read: the deployer's keys and the endpoints they are bound to (``realtime.ui.keys``),
the guardrails (``realtime.ui.gate``), the outbound address policy
(``REALTIME_ALLOW_PRIVATE_URLS``, ``allowed_hosts`` / ``REALTIME_ALLOWED_HOSTS``, plus the
deployer's own endpoints), the WebRTC ICE servers (``ice_servers`` / ``REALTIME_ICE_SERVERS``)
and transport policy (``ice_transport_policy`` / ``REALTIME_ICE_TRANSPORT_POLICY``: ``relay``
keeps the browser's media on the TURN server) and the log level (``LOG_LEVEL``). ``[auth]`` is
a secrets-only section (``st.login`` reads it there itself).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import streamlit as st

from realtime.client.core.config import Provider, ws_url
from realtime.client.io.address_policy import AddressPolicy
from realtime.protocol.errors import ConfigError
from realtime.ui.gate import MAX_MINUTES, MAX_SESSIONS, PROVIDERS, Guardrails, login_providers
from realtime.ui.keys import ENDPOINT_ENV, KEY_ENV, DeployedKeys

__all__ = ["DeploymentSettings", "current"]

SECRETS = "Streamlit secrets"
ENVIRONMENT = "the environment"


def current() -> DeploymentSettings:
    """This deployment's settings as they are now: ``st.secrets`` (empty without a secrets
    file) and the process environment."""
    try:
        found = dict(st.secrets)
    except Exception:  # st.secrets raises its own error type when no file is present
        found = {}
    return DeploymentSettings(found, dict(os.environ))


@dataclass(frozen=True)
class DeploymentSettings:
    """Streamlit secrets and the environment, and what the app reads from them."""

    secrets: Mapping[str, Any] = field(default_factory=dict)
    environ: Mapping[str, str] = field(default_factory=dict)

    # ---- the one lookup rule ------------------------------------------------------------
    def _find(self, secret: str, env: str | None) -> tuple[Any, str] | None:
        value = self.secrets.get(secret)
        if isinstance(value, str):
            value = value.strip() or None
        if value is not None:
            return value, SECRETS
        text = self.environ.get(env or secret, "").strip()
        return (text, ENVIRONMENT) if text else None

    def get(self, secret: str, env: str | None = None) -> Any:
        """The setting ``secret`` (``env`` in the environment when it is named differently
        there), or None when unset."""
        found = self._find(secret, env)
        return None if found is None else found[0]

    def source(self, secret: str, env: str | None = None) -> str | None:
        """Where the setting was found (``Streamlit secrets`` or ``the environment``), for a
        label; None when unset."""
        found = self._find(secret, env)
        return None if found is None else found[1]

    # ---- what the app reads -------------------------------------------------------------
    def keys(self) -> DeployedKeys:
        """The deployer's keys by provider, and the endpoints they are bound to."""
        keys: dict[Provider, str] = {}
        sources: dict[Provider, str] = {}
        for provider, name in KEY_ENV.items():
            found = self._find(name, None)
            if found is not None:
                keys[provider], sources[provider] = str(found[0]), found[1]
        endpoints = {
            provider: str(value)
            for provider, name in ENDPOINT_ENV.items()
            if (value := self.get(name)) is not None
        }
        return DeployedKeys(keys, endpoints, sources)

    def guardrails(self) -> Guardrails:
        """Sign-in, the providers offered, the voice session limits."""
        return Guardrails.parse(
            providers=self.get(*PROVIDERS),
            max_voice_sessions=self.get(*MAX_SESSIONS),
            max_session_minutes=self.get(*MAX_MINUTES),
            login=login_providers(self.secrets),
        )

    def address_policy(self) -> AddressPolicy:
        """The outbound policy: ``REALTIME_ALLOW_PRIVATE_URLS`` and ``allowed_hosts``; the
        deployer's own configured endpoints are allowed too."""
        configured = self.get("allowed_hosts", "REALTIME_ALLOWED_HOSTS")
        if isinstance(configured, list | tuple):
            hosts = list(configured)
        else:
            hosts = [] if configured is None else str(configured).split(",")
        for url in self.keys().endpoints.values():
            target = _host_port(url)
            if target:
                hosts.append(target)
        allow = self.get("REALTIME_ALLOW_PRIVATE_URLS")
        return AddressPolicy.from_settings(allow_private=allow, allowed_hosts=hosts)

    def engine_environment(self) -> dict[str, str]:
        """The address policy as the bundled engine's child process reads it (its MCP client
        and chat URLs): the same two settings, taken from the secrets too."""
        policy = self.address_policy()
        return {
            "REALTIME_ALLOW_PRIVATE_URLS": "1" if policy.allow_private else "0",
            "REALTIME_ALLOWED_HOSTS": ",".join(sorted(policy.allowed_hosts)),
        }

    def ice_servers(self) -> list[dict[str, Any]]:
        """ICE servers for WebRTC: ``ice_servers`` (a list, or JSON in the environment).

        None are needed on 127.0.0.1; a shared deployment needs a TURN server (see README).
        """
        configured = self.get("ice_servers", "REALTIME_ICE_SERVERS")
        if not configured:
            return []
        value = json.loads(configured) if isinstance(configured, str) else configured
        return [dict(server) for server in value]

    def rtc_configuration(self) -> dict[str, Any]:
        """What the browser's ``RTCPeerConnection`` is built with: the ICE servers and, when
        ``ice_transport_policy`` / ``REALTIME_ICE_TRANSPORT_POLICY`` is ``relay``, relayed
        candidates only (every packet crosses the TURN server). ``all`` or unset: the default;
        anything else is a ``ConfigError`` naming the setting (it must not silently go direct).
        """
        configuration: dict[str, Any] = {"iceServers": self.ice_servers()}
        policy = str(self.get("ice_transport_policy", "REALTIME_ICE_TRANSPORT_POLICY") or "all")
        if policy.lower() not in ("all", "relay"):
            raise ConfigError("ice_transport_policy", f"{policy!r}", allowed="all, relay")
        if policy.lower() == "relay":
            configuration["iceTransportPolicy"] = "relay"
        return configuration

    def log_level(self) -> str:
        """``LOG_LEVEL`` for the app's loggers, ``INFO`` when unset."""
        return str(self.get("LOG_LEVEL") or "INFO")


def _host_port(url: str) -> str | None:
    try:
        parts = urlsplit(ws_url("endpoint", url))
        port = parts.port or (443 if parts.scheme == "wss" else 80)
    except (ConfigError, ValueError):  # a malformed configured URL allows nothing
        return None
    return f"{(parts.hostname or '').lower()}:{port}" if parts.hostname else None

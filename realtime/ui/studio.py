"""Streamlit glue: the objects one browser session keeps across reruns, and the shared engine.

Runs on the Streamlit script thread only. Everything kept in ``st.session_state`` is created
here, from classes defined in ``realtime/``, so a rerun of a page never changes their identity:
the session's ``Bridge`` and, beside it, its ``SessionRecording`` (event log, item times, both
sides' audio), wired to the bridge through its observer hooks. Pages read both from here.
The API key lives in the bridge (handshake headers only) and in the password widget of the
session that typed it; this module reads it from there and never stores a copy, and registers
it with the recording as a secret before the bridge gets it, so no logged event shows it. A
deployer's key goes only to the endpoint configured beside it (``realtime.ui.keys``); every URL
the bridge opens is checked by the deployment's address policy
(``realtime.client.io.address_policy``); the in-process engine has a random key of its own,
made per process, that only this module knows.
"""

from __future__ import annotations

import json
import logging
import os
import secrets as random_secrets
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import streamlit as st

from realtime.client.core.config import Provider, SessionConfig, ws_url
from realtime.client.io.address_policy import AddressPolicy
from realtime.client.io.bridge import Bridge
from realtime.client.io.outbound import checked_opener
from realtime.client.io.playback import Playback
from realtime.local.server import EngineServer
from realtime.protocol.errors import ConfigError
from realtime.recording.session import SessionRecording
from realtime.tools import default_registry
from realtime.ui.keys import BoundKey, Deployment, bound_key
from realtime.ui.tab_watch import TabWatch

__all__ = [
    "CONFIG_KEY",
    "address_policy",
    "api_key",
    "config_key",
    "connect_policy",
    "current_bridge",
    "current_recording",
    "deployment",
    "key_widget",
    "ice_servers",
    "local_engine_answers",
    "local_engine_url",
    "secrets",
    "session_bridge",
]

log = logging.getLogger(__name__)

BRIDGE_KEY = "rvs.bridge"
RECORDING_KEY = "rvs.recording"
OBSERVER_KEY = "rvs.bridge_shutdown_observer"
TAB_WATCH_KEY = "rvs.tab_watch"
CONFIG_KEY = "rvs.config"  # the last valid SessionConfig from the sidebar


def key_widget(provider: Provider) -> str:
    """The password widget of one provider: a key typed for OpenAI is never sent to another
    server after the provider changes (its value stays in this session's state only)."""
    return f"rvs.api_key.{provider.value}"


def secrets() -> Mapping[str, Any]:
    """``st.secrets`` as a mapping, or empty when no secrets file exists."""
    try:
        return dict(st.secrets)
    except Exception:  # st.secrets raises its own error type when no file is present
        return {}


# (host, port) of the in-process engine once it listens: the one loopback address the address
# policy lets the bridge open. A plain value, so the bridge thread reads it without ``st``.
_ENGINE_ADDRESSES: set[tuple[str, int]] = set()


@st.cache_resource(show_spinner="Starting the local engine…")
def _local_engine() -> EngineServer:
    # One engine per Streamlit process, shared by every browser session (one WebSocket session
    # each); models load in the background so the page is not held up. It listens on loopback
    # only, with a random key made now and known only to this process: no browser page and no
    # other local program can drive it.
    engine = EngineServer(
        host="127.0.0.1", port=0, preload=True, api_key=random_secrets.token_urlsafe(32)
    ).start()
    _ENGINE_ADDRESSES.add((engine.host, engine.port))
    return engine


def local_engine_answers() -> str:
    """Which responder the in-process engine answers with (``rules`` or ``rules + MODEL``)."""
    engine = _local_engine().engine
    return engine.responder_name if engine is not None else "rules"


def local_engine_url() -> str:
    """Base URL of the in-process local engine (``ws://127.0.0.1:PORT/v1``)."""
    return _local_engine().url


def ice_servers() -> list[dict[str, Any]]:
    """ICE servers for WebRTC: ``ice_servers`` in secrets or REALTIME_ICE_SERVERS (JSON).

    None are needed on 127.0.0.1; a shared deployment needs a TURN server (see README).
    """
    configured = secrets().get("ice_servers") or os.environ.get("REALTIME_ICE_SERVERS")
    if not configured:
        return []
    value = json.loads(configured) if isinstance(configured, str) else configured
    return [dict(server) for server in value]


def deployment() -> Deployment:
    """The deployer's keys and the endpoints they are bound to (secrets, then environment)."""
    return Deployment.from_settings(secrets(), os.environ)


def _endpoint(config: SessionConfig) -> str:
    return config.azure_endpoint if config.provider is Provider.AZURE else config.base_url


def config_key(config: SessionConfig, typed: str | None = None) -> BoundKey:
    """The key a connection for ``config`` may carry, and a label saying where it came from."""
    if typed is None:
        typed = str(st.session_state.get(key_widget(config.provider)) or "")
    local_key = _local_engine().api_key if config.provider is Provider.LOCAL else None
    return bound_key(config.provider, _endpoint(config), typed, deployment(), local_key=local_key)


def api_key(config: SessionConfig) -> str | None:
    """The key for ``config``: typed in this session's sidebar, else the deployer's own key
    when ``config`` points at the endpoint configured beside it."""
    return config_key(config).key


def address_policy() -> AddressPolicy:
    """The deployment's outbound policy: ``REALTIME_ALLOW_PRIVATE_URLS`` and ``allowed_hosts``
    (secrets or environment); the deployer's own configured endpoints are allowed too."""
    found = secrets()
    allow = found.get("REALTIME_ALLOW_PRIVATE_URLS", os.environ.get("REALTIME_ALLOW_PRIVATE_URLS"))
    hosts = found.get("allowed_hosts", os.environ.get("REALTIME_ALLOWED_HOSTS", ""))
    hosts = list(hosts) if isinstance(hosts, list | tuple) else str(hosts).split(",")
    for url in deployment().endpoints.values():
        target = _host_port(url)
        if target:
            hosts.append(target)
    return AddressPolicy.from_settings(allow_private=allow, allowed_hosts=hosts)


def connect_policy() -> AddressPolicy:
    """The policy the bridge connects under: the deployment's, plus the in-process engine."""
    return address_policy().trusting(_ENGINE_ADDRESSES)


def _host_port(url: str) -> str | None:
    try:
        parts = urlsplit(ws_url("endpoint", url))
        port = parts.port or (443 if parts.scheme == "wss" else 80)
    except (ConfigError, ValueError):  # a malformed configured URL allows nothing
        return None
    return f"{(parts.hostname or '').lower()}:{port}" if parts.hostname else None


def current_bridge() -> Bridge | None:
    bridge = st.session_state.get(BRIDGE_KEY)
    return bridge if isinstance(bridge, Bridge) else None


def current_recording() -> SessionRecording | None:
    recording = st.session_state.get(RECORDING_KEY)
    return recording if isinstance(recording, SessionRecording) else None


def session_bridge(config: SessionConfig, api_key: str | None) -> tuple[Bridge, SessionRecording]:
    """This browser session's bridge and its recording, created once; later settings apply
    to the bridge live."""
    bridge, recording = current_bridge(), current_recording()
    if bridge is None or recording is None:
        if bridge is not None:
            bridge.stop()  # never left running without its recording
        recording = SessionRecording(secrets=[api_key] if api_key else ())
        playback = Playback()
        playback.on_played = recording.hear_assistant
        policy = address_policy()

        def current_policy() -> AddressPolicy:
            # Read on the bridge thread: the engine's address is a plain set, no ``st``.
            return policy.trusting(_ENGINE_ADDRESSES)

        bridge = Bridge(
            config,
            api_key=api_key,
            tools=default_registry,
            playback=playback,
            on_event=recording.observe,
            on_mic_audio=recording.hear_user,
            open_transport=checked_opener(current_policy),
        )
        st.session_state[RECORDING_KEY] = recording
        st.session_state[BRIDGE_KEY] = bridge
    else:
        recording.add_secret(api_key)  # before the bridge can send or log anything with it
        bridge.update_session(config, api_key=api_key)  # a no-op when nothing changed
    from streamlit_webrtc.shutdown import SessionShutdownObserver

    # Stops the thread and socket when the tab closes or the user leaves the page. An observer
    # ends after it fired (a page change), so each run of the page installs a fresh one.
    old = st.session_state.get(OBSERVER_KEY)
    if isinstance(old, SessionShutdownObserver):
        old.stop()
    try:
        st.session_state[OBSERVER_KEY] = SessionShutdownObserver(bridge.stop)
        _watch_tab(bridge)
    except Exception:  # no live Streamlit runtime (a script test): nothing to observe
        log.info("no Streamlit session to observe; the bridge stops on Stop only")
    return bridge, recording


def _watch_tab(bridge: Bridge) -> None:
    """Stop the bridge within a fraction of a second of the tab closing (see tab_watch)."""
    from streamlit.runtime import Runtime
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    watch = st.session_state.get(TAB_WATCH_KEY)
    if isinstance(watch, TabWatch) and watch.alive:
        return
    ctx = get_script_run_ctx()
    if ctx is None or not Runtime.exists():
        return
    runtime = Runtime.instance()
    st.session_state[TAB_WATCH_KEY] = TabWatch(
        ctx.session_id, bridge.stop, is_active=runtime.is_active_session
    )

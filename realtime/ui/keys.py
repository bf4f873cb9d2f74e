"""Which key goes with which endpoint: the deployer's keys are bound to the endpoints beside them.

Pure; the Streamlit script thread calls it on every rerun, and never touches ``st``. The person
who deploys the app owns the keys in ``st.secrets`` and the environment (read by
``realtime.ui.deployment`` into a :class:`DeployedKeys`), and each is sent only to the endpoint
configured beside it (DESIGN section 8):

- ``OPENAI_API_KEY`` to ``api.openai.com`` (the OpenAI provider has no other URL);
- ``AZURE_OPENAI_API_KEY`` to the deployment's ``AZURE_OPENAI_ENDPOINT``;
- ``REALTIME_API_KEY`` to the deployment's ``REALTIME_BASE_URL``.

A visitor who types another endpoint gets only a key they type themselves; the label says so,
and never shows the key. The in-process engine gets its own random key, which only the app
knows. A key with a line break or any other character a header cannot carry is refused
without being echoed (it would otherwise split the handshake, or land in an error message).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from realtime.client.core.config import Provider, ws_url
from realtime.protocol.errors import ConfigError

__all__ = [
    "ENDPOINT_ENV",
    "KEY_ENV",
    "BoundKey",
    "DeployedKeys",
    "bound_key",
    "key_is_sendable",
    "same_endpoint",
]

KEY_ENV = {
    Provider.OPENAI: "OPENAI_API_KEY",
    Provider.AZURE: "AZURE_OPENAI_API_KEY",
    Provider.CUSTOM: "REALTIME_API_KEY",
}
ENDPOINT_ENV = {
    Provider.AZURE: "AZURE_OPENAI_ENDPOINT",
    Provider.CUSTOM: "REALTIME_BASE_URL",
}
_DEFAULT_PORTS = {"ws": 80, "wss": 443}


def key_is_sendable(key: str) -> bool:
    """Printable ASCII without spaces: what an HTTP header value can carry as a key."""
    return bool(key) and all(0x21 <= ord(char) <= 0x7E for char in key)


@dataclass(frozen=True)
class DeployedKeys:
    """What the deployer configured: keys by provider, and the endpoints they belong to."""

    keys: Mapping[Provider, str]
    endpoints: Mapping[Provider, str]
    sources: Mapping[Provider, str]  # "Streamlit secrets" or "the environment", for the label

    def endpoint(self, provider: Provider) -> str:
        """The endpoint configured for ``provider`` ("" when none), to prefill the sidebar."""
        return self.endpoints.get(provider, "")


@dataclass(frozen=True)
class BoundKey:
    """The key to send (or None) and a sentence safe to show; the key itself never is."""

    key: str | None
    label: str
    deployer_key: bool = False


def _normalised(url: str) -> tuple[str, str, int, str] | None:
    try:
        parts = urlsplit(ws_url("endpoint", url))
        port = parts.port or _DEFAULT_PORTS[parts.scheme]
    except (ConfigError, ValueError, KeyError):
        return None
    if parts.username or parts.password:
        return None
    return parts.scheme, (parts.hostname or "").lower(), port, parts.path.rstrip("/")


def same_endpoint(a: str, b: str) -> bool:
    """True when two endpoint URLs name the same scheme, host, port and path
    (``https://`` and ``wss://`` are the same endpoint; a trailing slash does not count)."""
    left, right = _normalised(a), _normalised(b)
    return left is not None and left == right


def bound_key(
    provider: Provider,
    endpoint: str,
    typed: str,
    deployed: DeployedKeys,
    *,
    local_key: str | None = None,
) -> BoundKey:
    """The key for a connection to ``endpoint`` with ``provider``.

    A typed key wins (and goes wherever its visitor points it); else the deployer's key, only
    when ``endpoint`` is the one configured beside it. ``endpoint`` is ignored for OpenAI
    (fixed host) and for the local provider, which always gets ``local_key``.
    """
    if provider is Provider.LOCAL:
        return BoundKey(local_key, "the in-process engine's own key (known only to this app)")
    typed = typed.strip()
    if typed:
        if not key_is_sendable(typed):
            return BoundKey(
                None,
                "the typed key was refused: it contains a line break, a space or another "
                "character an API key cannot have",
            )
        return BoundKey(typed, "typed in the sidebar")
    name = KEY_ENV[provider]
    key = deployed.keys.get(provider)
    if key is None:
        return BoundKey(None, "no key")
    if not key_is_sendable(key):
        return BoundKey(None, f"{name} is set but is not a valid key (a line break or space?)")
    source = f"{name} from {deployed.sources.get(provider, 'the deployment')}"
    if provider is Provider.OPENAI:
        return BoundKey(key, source, deployer_key=True)
    configured = deployed.endpoint(provider)
    if not configured:
        return BoundKey(
            None,
            f"{name} is set but no {ENDPOINT_ENV[provider]} beside it, so it is sent nowhere; "
            "type a key for this endpoint",
        )
    if not same_endpoint(endpoint, configured):
        return BoundKey(
            None,
            f"the deployment's key is bound to its own endpoint ({ENDPOINT_ENV[provider]}); "
            "for this endpoint, type your own key",
        )
    return BoundKey(key, f"{source}, for the deployment's endpoint", deployer_key=True)

"""Where to connect for a ``SessionConfig``: the WebSocket URL and the handshake headers.

Pure; the bridge thread calls it before each connection. The key goes only into these headers
(``Authorization: Bearer`` or Azure's ``api-key``), and beta sessions opt in with
``OpenAI-Beta: realtime=v1`` (not on Azure, whose preview URL selects the beta interface).
"""

from __future__ import annotations

from urllib.parse import quote

from realtime.client.core.config import Provider, SessionConfig, ws_url
from realtime.protocol.errors import ConfigError
from realtime.protocol.facts import ApiVersion

__all__ = ["connection_headers", "connection_key", "connection_url"]


def connection_url(config: SessionConfig) -> str:
    """The WebSocket URL to open for this config (Local needs ``base_url`` set to its port).

    A transcription session asks for one with ``intent=transcription`` in place of the model
    (its model is the transcription model, in the session); Azure's beta URL keeps its
    deployment, which names the resource's realtime deployment."""
    model = quote(config.model, safe="")
    target = "intent=transcription" if config.session_type == "transcription" else f"model={model}"
    if config.provider is Provider.OPENAI:
        return f"wss://api.openai.com/v1/realtime?{target}"
    if config.provider is Provider.AZURE:
        base = ws_url("azure_endpoint", config.azure_endpoint).rstrip("/")
        if config.api_version is ApiVersion.GA:
            return f"{base}/openai/v1/realtime?{target}"
        version = quote(config.azure_api_version, safe="")
        if target.startswith("intent"):
            return f"{base}/openai/realtime?api-version={version}&{target}&deployment={model}"
        return f"{base}/openai/realtime?api-version={version}&deployment={model}"
    if not config.base_url:
        raise ConfigError("base_url", "no server URL is set", allowed="ws://HOST:PORT/v1")
    base = ws_url("base_url", config.base_url).rstrip("/")
    return f"{base}/realtime?{target}"


def connection_headers(config: SessionConfig, api_key: str | None) -> dict[str, str]:
    """Handshake headers: the key in the provider's header, and the beta opt-in if needed."""
    headers: dict[str, str] = {}
    if config.provider is Provider.AZURE:
        if not api_key:
            raise ConfigError("api_key", "Azure OpenAI needs an API key")
        headers["api-key"] = api_key
    else:
        if config.provider is Provider.OPENAI and not api_key:
            raise ConfigError(
                "api_key",
                "OpenAI needs an API key",
                allowed="a key from platform.openai.com, starting with 'sk-'",
            )
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        if config.api_version is ApiVersion.BETA:
            headers["OpenAI-Beta"] = "realtime=v1"
    return headers


def connection_key(config: SessionConfig) -> tuple[object, ...]:
    """What a connection is opened with: changing any of it needs a new connection."""
    return (
        config.provider,
        config.session_type,  # the hosted API fixes a session's type when it opens
        config.api_version,
        config.model,
        config.base_url,
        config.azure_endpoint,
        config.azure_api_version,
    )

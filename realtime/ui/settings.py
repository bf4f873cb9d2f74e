"""From sidebar values to a ``SessionConfig``, and where the API key comes from.

Pure: the Streamlit script thread calls it on every rerun with the widgets' values; it never
touches ``st``. Errors come back per widget (field name -> message) so the page shows each one
next to the widget that caused it, and the last valid config keeps the session running.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from realtime.client.config import (
    Provider,
    SemanticVad,
    ServerVad,
    SessionConfig,
    Transcription,
    TurnDetection,
)
from realtime.protocol.errors import ConfigError
from realtime.protocol.facts import SERVER_VAD_DEFAULTS, ApiVersion, takes_temperature

__all__ = [
    "INSTRUCTION_PRESETS",
    "KEY_ENV",
    "PROVIDER_LABELS",
    "TURN_MODES",
    "KeySource",
    "Settings",
    "build_config",
    "default_provider",
    "resolve_api_key",
]

PROVIDER_LABELS = {
    Provider.LOCAL: "Local engine (offline)",
    Provider.OPENAI: "OpenAI",
    Provider.AZURE: "Azure OpenAI",
    Provider.CUSTOM: "Custom URL",
}
KEY_ENV = {
    Provider.OPENAI: "OPENAI_API_KEY",
    Provider.AZURE: "AZURE_OPENAI_API_KEY",
    Provider.CUSTOM: "REALTIME_API_KEY",
    Provider.LOCAL: "REALTIME_LOCAL_API_KEY",
}
TURN_MODES = ("Server VAD", "Semantic VAD", "Push-to-talk")
INSTRUCTION_PRESETS = {
    "Helpful assistant": "You are a helpful, concise voice assistant. Answer in one or two "
    "short sentences.",
    "Travel agent": "You are a travel assistant. Use the tools to look up airports, local "
    "times and flight estimates; never guess times or distances.",
    "Language tutor": "You are a patient language tutor. Correct mistakes gently and give one "
    "example sentence.",
    "Custom": "",
}


@dataclass(frozen=True)
class KeySource:
    """Where the key was found; ``label`` is safe to show, the key itself never is."""

    key: str | None
    label: str


def resolve_api_key(
    provider: Provider,
    typed: str,
    secrets: Mapping[str, Any],
    environ: Mapping[str, str],
) -> KeySource:
    """The key for ``provider``: typed in the sidebar, else ``st.secrets``, else environment."""
    name = KEY_ENV[provider]
    if typed.strip():
        return KeySource(typed.strip(), "typed in the sidebar")
    value = secrets.get(name)
    if isinstance(value, str) and value.strip():
        return KeySource(value.strip(), f"{name} from Streamlit secrets")
    if environ.get(name, "").strip():
        return KeySource(environ[name].strip(), f"{name} from the environment")
    return KeySource(None, "no key")


def default_provider(secrets: Mapping[str, Any], environ: Mapping[str, str]) -> Provider:
    """OpenAI or Azure when their key is configured, else the offline local engine."""
    for provider in (Provider.OPENAI, Provider.AZURE):
        if resolve_api_key(provider, "", secrets, environ).key:
            return provider
    return Provider.LOCAL


@dataclass(frozen=True)
class Settings:
    """The sidebar's raw values, as widgets give them."""

    provider: Provider = Provider.LOCAL
    api_version: ApiVersion = ApiVersion.GA
    model: str = "gpt-realtime"
    voice: str = "alloy"
    instructions: str = INSTRUCTION_PRESETS["Helpful assistant"]
    text_only: bool = False
    turn_mode: str = "Server VAD"
    threshold: float = SERVER_VAD_DEFAULTS["threshold"]
    prefix_padding_ms: int = SERVER_VAD_DEFAULTS["prefix_padding_ms"]
    silence_duration_ms: int = SERVER_VAD_DEFAULTS["silence_duration_ms"]
    interrupt_response: bool = True
    eagerness: str = "auto"
    transcription_model: str | None = "whisper-1"
    noise_reduction: str | None = None
    temperature: float | None = None
    max_output_tokens: int | None = None  # None: no limit ("inf")
    tools: tuple[dict[str, Any], ...] = ()
    tool_choice: str = "auto"
    base_url: str = ""
    azure_endpoint: str = ""


def build_config(settings: Settings) -> tuple[SessionConfig | None, dict[str, str]]:
    """A validated config, or None and the problems keyed by the settings field at fault."""
    problems: dict[str, str] = {}
    turn: TurnDetection = None
    try:
        if settings.turn_mode == "Server VAD":
            turn = ServerVad(
                threshold=settings.threshold,
                prefix_padding_ms=settings.prefix_padding_ms,
                silence_duration_ms=settings.silence_duration_ms,
                interrupt_response=settings.interrupt_response,
            )
        elif settings.turn_mode == "Semantic VAD":
            turn = SemanticVad(
                eagerness=settings.eagerness, interrupt_response=settings.interrupt_response
            )
        elif settings.turn_mode != "Push-to-talk":
            raise ConfigError("turn_detection", "unknown mode", allowed=", ".join(TURN_MODES))
    except ConfigError as exc:
        problems[exc.field] = str(exc)
    try:
        transcription = (
            Transcription(settings.transcription_model) if settings.transcription_model else None
        )
    except ConfigError as exc:
        problems[exc.field] = str(exc)
        transcription = None
    if problems:
        return None, problems
    try:
        config = SessionConfig(
            provider=settings.provider,
            api_version=settings.api_version,
            model=settings.model.strip(),
            voice=settings.voice,
            instructions=settings.instructions,
            output_modalities=("text",) if settings.text_only else ("audio",),
            turn_detection=turn,
            transcription=transcription,
            noise_reduction=settings.noise_reduction,
            temperature=settings.temperature if takes_temperature(settings.api_version) else None,
            max_output_tokens=settings.max_output_tokens or "inf",
            tools=settings.tools,
            tool_choice=settings.tool_choice,
            base_url=settings.base_url.strip(),
            azure_endpoint=settings.azure_endpoint.strip(),
        )
    except ConfigError as exc:
        return None, {exc.field: str(exc)}
    return config, {}


def local_voice_names() -> list[str]:
    """The voices the bundled engine speaks (piper voices shipped in installed packages)."""
    from realtime.local.stages.tts.piper import voices  # here: only the local provider needs it

    return [v.name for v in voices()] or ["joe"]

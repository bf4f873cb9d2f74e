"""From sidebar values to a ``SessionConfig``, and which provider the sidebar starts on.

Pure: the Streamlit script thread calls it on every rerun with the widgets' values; it never
touches ``st``. Errors come back per widget (field name -> message) so the page shows each one
next to the widget that caused it, and the last valid config keeps the session running.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from realtime.client.core.config import (
    Prompt,
    Provider,
    RetentionRatio,
    SemanticVad,
    ServerVad,
    SessionConfig,
    Transcription,
    Truncation,
    TurnDetection,
)
from realtime.client.core.mcp import McpServer
from realtime.protocol.errors import ConfigError
from realtime.protocol.facts import ApiVersion
from realtime.protocol.model_list import DEFAULT_MODEL
from realtime.protocol.session_schema import SERVER_VAD_DEFAULTS, takes
from realtime.ui.keys import DeployedKeys

__all__ = [
    "INSTRUCTION_PRESETS",
    "PROVIDER_LABELS",
    "TURN_MODES",
    "Settings",
    "build_config",
    "default_provider",
]

PROVIDER_LABELS = {
    Provider.LOCAL: "Local engine (offline)",
    Provider.OPENAI: "OpenAI",
    Provider.AZURE: "Azure OpenAI",
    Provider.CUSTOM: "Custom URL",
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


def default_provider(deployed: DeployedKeys) -> Provider:
    """OpenAI or Azure when the deployer configured their key, else the offline local engine."""
    for provider in (Provider.OPENAI, Provider.AZURE):
        if deployed.keys.get(provider):
            return provider
    return Provider.LOCAL


@dataclass(frozen=True)
class Settings:
    """The sidebar's raw values, as widgets give them."""

    provider: Provider = Provider.LOCAL
    api_version: ApiVersion = ApiVersion.GA
    model: str = DEFAULT_MODEL
    voice: str = "alloy"
    custom_voice: str = ""  # voice_...: used instead of ``voice`` (GA)
    speed: float | None = None
    instructions: str = INSTRUCTION_PRESETS["Helpful assistant"]
    text_only: bool = False
    turn_mode: str = "Server VAD"
    threshold: float = SERVER_VAD_DEFAULTS["threshold"]
    prefix_padding_ms: int = SERVER_VAD_DEFAULTS["prefix_padding_ms"]
    silence_duration_ms: int = SERVER_VAD_DEFAULTS["silence_duration_ms"]
    interrupt_response: bool = True
    eagerness: str = "auto"
    idle_timeout_ms: int | None = None
    transcription_model: str | None = "whisper-1"
    transcription_language: str = ""
    transcription_prompt: str = ""
    transcription_delay: str | None = None
    transcription_logprobs: bool = False
    noise_reduction: str | None = None
    noise_reduction_strength: float | None = None
    temperature: float | None = None
    max_output_tokens: int | None = None  # None: no limit ("inf")
    tools: tuple[dict[str, Any], ...] = ()
    tool_choice: str = "auto"
    mcp_servers: tuple[McpServer, ...] = ()  # realtime.ui.mcp_settings
    mcp_problems: tuple[tuple[str, str], ...] = ()  # (field, message) of refused servers
    parallel_tool_calls: bool | None = None
    reasoning_effort: str | None = None
    truncation: str = "auto"  # auto | disabled | retention_ratio
    retention_ratio: float = 0.8
    post_instructions_tokens: int | None = None
    prompt_id: str = ""
    prompt_version: str = ""
    prompt_variables: str = ""  # one name=value a line
    tracing: str | None = None
    base_url: str = ""
    azure_endpoint: str = ""


def build_config(settings: Settings) -> tuple[SessionConfig | None, dict[str, str]]:
    """A validated config, or None and the problems keyed by the settings field at fault."""
    problems: dict[str, str] = {}
    parts: dict[str, Any] = {}
    for name, build in (
        ("turn_detection", _turn),
        ("transcription", _transcription),
        ("truncation", _truncation),
        ("prompt", _prompt),
    ):
        try:
            parts[name] = build(settings)
        except ConfigError as exc:
            problems[exc.field] = str(exc)
    problems.update(settings.mcp_problems)
    if problems:
        return None, problems
    try:
        config = SessionConfig(
            provider=settings.provider,
            api_version=settings.api_version,
            model=settings.model.strip(),
            voice=settings.custom_voice.strip() or settings.voice,
            instructions=settings.instructions,
            output_modalities=("text",) if settings.text_only else ("audio",),
            noise_reduction=settings.noise_reduction,
            noise_reduction_strength=settings.noise_reduction_strength,
            temperature=settings.temperature
            if takes("temperature", settings.api_version)
            else None,
            max_output_tokens=settings.max_output_tokens or "inf",
            speed=settings.speed,
            tools=settings.tools,
            tool_choice=settings.tool_choice,
            mcp_servers=settings.mcp_servers,
            parallel_tool_calls=settings.parallel_tool_calls,
            reasoning_effort=settings.reasoning_effort,
            transcription_logprobs=settings.transcription_logprobs,
            tracing=settings.tracing,
            base_url=settings.base_url.strip(),
            azure_endpoint=settings.azure_endpoint.strip(),
            **parts,
        )
    except ConfigError as exc:
        return None, {exc.field: str(exc)}
    return config, {}


def _turn(settings: Settings) -> TurnDetection:
    if settings.turn_mode == "Server VAD":
        return ServerVad(
            threshold=settings.threshold,
            prefix_padding_ms=settings.prefix_padding_ms,
            silence_duration_ms=settings.silence_duration_ms,
            interrupt_response=settings.interrupt_response,
            idle_timeout_ms=settings.idle_timeout_ms,
        )
    if settings.turn_mode == "Semantic VAD":
        return SemanticVad(
            eagerness=settings.eagerness, interrupt_response=settings.interrupt_response
        )
    if settings.turn_mode != "Push-to-talk":
        raise ConfigError("turn_detection", "unknown mode", allowed=", ".join(TURN_MODES))
    return None


def _transcription(settings: Settings) -> Transcription | None:
    if not settings.transcription_model:
        return None
    return Transcription(
        settings.transcription_model,
        language=settings.transcription_language.strip() or None,
        prompt=settings.transcription_prompt.strip() or None,
        delay=settings.transcription_delay,
    )


def _truncation(settings: Settings) -> Truncation:
    if settings.truncation != "retention_ratio":
        return None if settings.truncation == "auto" else settings.truncation
    return RetentionRatio(settings.retention_ratio, settings.post_instructions_tokens)


def _prompt(settings: Settings) -> Prompt | None:
    if not settings.prompt_id.strip():
        return None
    variables = []
    for line in settings.prompt_variables.splitlines():
        if not line.strip():
            continue
        name, equals, value = line.partition("=")
        if not equals or not name.strip():
            raise ConfigError(
                "prompt.variables", f"{line.strip()!r} is not name=value", allowed="name=value"
            )
        variables.append((name.strip(), value.strip()))
    return Prompt(
        settings.prompt_id.strip(),
        version=settings.prompt_version.strip() or None,
        variables=tuple(variables),
    )

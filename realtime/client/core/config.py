"""Session settings: one validated, frozen ``SessionConfig``.

Pure: the Streamlit script thread builds a config from the sidebar; every value is checked on
construction, and a refused one raises ``ConfigError`` naming the field and what it accepts.
``session_update`` turns a config into the ``session.update`` payload of its API version and
``endpoint`` into the URL and headers to connect with. The API key is never part of the config,
so it cannot leak into snapshots, logs or exports.
"""

from __future__ import annotations

import dataclasses
import enum
import re
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from realtime.client.core.mcp import McpServer, check_servers
from realtime.protocol.errors import ConfigError
from realtime.protocol.facts import ApiVersion, voices_for
from realtime.protocol.model_list import DEFAULT_MODEL, TRANSCRIPTION_MODELS
from realtime.protocol.session_schema import (
    FIELD,
    SERVER_VAD_DEFAULTS,
    TOOL_CHOICES,
    TRUNCATION_MODES,
    bounds,
    is_custom_voice,
)

__all__ = [
    "DEFAULT_AZURE_API_VERSION",
    "Prompt",
    "SESSION_TYPES",
    "Provider",
    "RetentionRatio",
    "SemanticVad",
    "ServerVad",
    "SessionConfig",
    "Transcription",
    "Truncation",
    "TurnDetection",
    "ws_url",
]

DEFAULT_AZURE_API_VERSION = "2025-04-01-preview"
SESSION_TYPES = ("realtime", "transcription")  # voice chat, or live transcripts with no answers


class Provider(enum.Enum):
    LOCAL = "local"
    OPENAI = "openai"
    AZURE = "azure"
    CUSTOM = "custom"


@dataclass(frozen=True)
class ServerVad:
    """``server_vad``: silence-based turn detection."""

    threshold: float = SERVER_VAD_DEFAULTS["threshold"]
    prefix_padding_ms: int = SERVER_VAD_DEFAULTS["prefix_padding_ms"]
    silence_duration_ms: int = SERVER_VAD_DEFAULTS["silence_duration_ms"]
    create_response: bool = True
    interrupt_response: bool = True
    idle_timeout_ms: int | None = None  # GA only

    def __post_init__(self) -> None:
        _check_field("turn_detection.threshold", self.threshold)
        _check_field("turn_detection.prefix_padding_ms", self.prefix_padding_ms)
        _check_field("turn_detection.silence_duration_ms", self.silence_duration_ms)
        if self.idle_timeout_ms is not None:
            _check_field("turn_detection.idle_timeout_ms", self.idle_timeout_ms)


@dataclass(frozen=True)
class SemanticVad:
    """``semantic_vad``: a model decides when the user has finished."""

    eagerness: str = "auto"
    create_response: bool = True
    interrupt_response: bool = True

    def __post_init__(self) -> None:
        _check_field("turn_detection.eagerness", self.eagerness)


TurnDetection = ServerVad | SemanticVad | None
"""None means push-to-talk: the client commits the buffer and asks for a response."""


@dataclass(frozen=True)
class Transcription:
    """Input audio transcription; ``language`` is an ISO-639-1 code or None for automatic."""

    model: str = "whisper-1"
    language: str | None = None
    prompt: str | None = None
    delay: str | None = None  # GA only, gpt-realtime-whisper only

    def __post_init__(self) -> None:
        if not self.model.strip():
            raise ConfigError("transcription.model", "must not be empty")
        if self.language is not None and not re.fullmatch(r"[a-z]{2}", self.language):
            raise ConfigError(
                "transcription.language",
                f"{self.language!r} is not a language code",
                allowed="two lowercase letters (ISO-639-1), e.g. 'en'",
            )
        if self.delay is not None:
            _check_field("transcription.delay", self.delay)

    def check_hosted(self) -> None:
        """What OpenAI refuses: an unknown model, a prompt or delay the model does not take."""
        _check_choice("transcription.model", self.model, TRANSCRIPTION_MODELS)
        streaming = self.model == "gpt-realtime-whisper"
        if streaming and self.prompt:
            raise ConfigError(
                "transcription.prompt", "gpt-realtime-whisper takes no prompt", allowed="empty"
            )
        if self.delay is not None and not streaming:
            raise ConfigError(
                "transcription.delay",
                f"{self.model} takes no delay",
                allowed="a delay with gpt-realtime-whisper only",
            )


@dataclass(frozen=True)
class RetentionRatio:
    """``truncation``: keep this share of the conversation when it must be cut (GA only)."""

    retention_ratio: float = 0.8
    post_instructions: int | None = None  # token_limits.post_instructions

    def __post_init__(self) -> None:
        _check_field("truncation.retention_ratio", self.retention_ratio)
        if self.post_instructions is not None:
            _check_field(
                "truncation.token_limits.post_instructions", self.post_instructions, integer=True
            )


Truncation = RetentionRatio | str | None
"""None leaves it to the server ("auto"); "auto", "disabled", or a retention ratio."""


@dataclass(frozen=True)
class Prompt:
    """A reusable prompt made on the platform (GA only): its id, version and variables."""

    id: str
    version: str | None = None
    variables: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[A-Za-z0-9_-]+", self.id):
            raise ConfigError("prompt.id", f"{self.id!r} is not a prompt id", allowed="pmpt_...")
        names = [name for name, _ in self.variables]
        if len(set(names)) != len(names) or not all(names):
            raise ConfigError("prompt.variables", "each variable needs a name of its own")


@dataclass(frozen=True)
class SessionConfig:
    """Everything that shapes a session, validated on construction (``ConfigError`` if not)."""

    provider: Provider = Provider.LOCAL
    session_type: str = "realtime"  # SESSION_TYPES; realtime.client.core.transcription_session
    api_version: ApiVersion = ApiVersion.GA
    model: str = DEFAULT_MODEL  # for Azure: the deployment name
    voice: str = "alloy"  # or a custom voice id, voice_... (GA)
    instructions: str = ""
    output_modalities: tuple[str, ...] = ("audio",)
    turn_detection: TurnDetection = field(default_factory=ServerVad)
    transcription: Transcription | None = field(default_factory=Transcription)
    noise_reduction: str | None = None
    temperature: float | None = None  # beta only; GA leaves it out
    max_output_tokens: int | Literal["inf"] = "inf"
    speed: float | None = None
    tools: tuple[dict[str, Any], ...] = ()
    tool_choice: str = "auto"  # auto | none | required | the name of one tool
    mcp_servers: tuple[McpServer, ...] = ()  # GA only: realtime.client.core.mcp
    # GA only (left out of beta); None leaves each to the server's default
    noise_reduction_strength: float | None = None
    parallel_tool_calls: bool | None = None
    reasoning_effort: str | None = None
    truncation: Truncation = None
    prompt: Prompt | None = None
    transcription_logprobs: bool = False  # include: item.input_audio_transcription.logprobs
    tracing: str | None = None  # "auto", or a workflow name; beta takes it too
    base_url: str = ""  # Local / Custom: e.g. ws://127.0.0.1:8765/v1
    azure_endpoint: str = ""  # https://RESOURCE.openai.azure.com
    azure_api_version: str = DEFAULT_AZURE_API_VERSION

    def __post_init__(self) -> None:
        _check_type("provider", self.provider, Provider)
        _check_type("api_version", self.api_version, ApiVersion)
        _check_choice("session_type", self.session_type, SESSION_TYPES)
        self._check_model_and_output()
        self._check_settings()
        self._check_ga_fields()
        self._check_endpoint()

    def _check_model_and_output(self) -> None:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._:-]*", self.model):
            raise ConfigError(
                "model",
                f"{self.model!r} is not a model name",
                allowed="letters, digits, '.', '_', ':' and '-', e.g. 'gpt-realtime'",
            )
        hosted = self.provider in (Provider.OPENAI, Provider.AZURE)
        custom = is_custom_voice(self.voice)
        if custom and self.api_version is ApiVersion.BETA:
            raise ConfigError("voice", "custom voices are GA only", allowed="a voice name")
        if hosted and not custom:
            _check_choice("voice", self.voice, voices_for(self.api_version))
        elif not self.voice.strip():
            raise ConfigError("voice", "must not be empty")
        modalities = frozenset(self.output_modalities)
        if modalities not in ({"audio"}, {"text"}, {"audio", "text"}):
            raise ConfigError(
                "output_modalities",
                f"{list(self.output_modalities)} is not supported",
                allowed="['audio'] (spoken, with transcript) or ['text']",
            )

    def _check_settings(self) -> None:
        hosted = self.provider in (Provider.OPENAI, Provider.AZURE)
        _check_type("turn_detection", self.turn_detection, (ServerVad, SemanticVad, type(None)))
        if self.transcription is not None:
            _check_type("transcription", self.transcription, Transcription)
            if hosted:
                self.transcription.check_hosted()
        if self.noise_reduction is not None:
            _check_field("noise_reduction.type", self.noise_reduction, name="noise_reduction")
        if self.temperature is not None:
            _check_field("temperature", self.temperature)
        if self.max_output_tokens != "inf":
            _check_field("max_output_tokens", self.max_output_tokens, integer=True)
        if self.speed is not None:
            _check_field("speed", self.speed)
        names = [_tool_name(tool) for tool in self.tools]
        if len(set(names)) != len(names):
            raise ConfigError("tools", "two tools share a name", allowed="unique names")
        if self.tool_choice not in TOOL_CHOICES and self.tool_choice not in names:
            raise ConfigError(
                "tool_choice",
                f"{self.tool_choice!r} is not a choice",
                allowed=", ".join((*TOOL_CHOICES, *names)),
            )

    def _check_ga_fields(self) -> None:
        if self.noise_reduction_strength is not None:
            _check_field("noise_reduction.strength", self.noise_reduction_strength)
        if self.parallel_tool_calls is not None:
            _check_type("parallel_tool_calls", self.parallel_tool_calls, bool)
        if self.reasoning_effort is not None:
            _check_field("reasoning.effort", self.reasoning_effort, name="reasoning_effort")
        if isinstance(self.truncation, str):
            _check_choice("truncation", self.truncation, TRUNCATION_MODES)
        else:
            _check_type("truncation", self.truncation, (RetentionRatio, type(None)))
        _check_type("prompt", self.prompt, (Prompt, type(None)))
        if self.tracing is not None and not self.tracing.strip():
            raise ConfigError("tracing", "must not be empty", allowed="auto, or a workflow name")
        for server in self.mcp_servers:
            _check_type("mcp_servers", server, McpServer)
        check_servers(self.mcp_servers)
        if self.mcp_servers and self.api_version is ApiVersion.BETA:
            raise ConfigError("mcp_servers", "the beta API has no MCP tools", allowed="GA")

    def _check_endpoint(self) -> None:
        if self.provider in (Provider.LOCAL, Provider.CUSTOM) and self.base_url:
            ws_url("base_url", self.base_url)
        if self.provider is Provider.CUSTOM and not self.base_url:
            raise ConfigError(
                "base_url",
                "a custom provider needs a URL",
                allowed="ws://, wss://, http:// or https:// URL",
            )
        if self.provider is Provider.AZURE:
            if not self.azure_endpoint:
                raise ConfigError(
                    "azure_endpoint",
                    "Azure OpenAI needs the resource endpoint",
                    allowed="https://RESOURCE.openai.azure.com",
                )
            ws_url("azure_endpoint", self.azure_endpoint)
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}(-preview)?", self.azure_api_version):
                raise ConfigError(
                    "azure_api_version",
                    f"{self.azure_api_version!r} is not valid",
                    allowed="a date such as 2025-04-01-preview",
                )

    @property
    def audio_output(self) -> bool:
        return "audio" in self.output_modalities

    def replace(self, **changes: Any) -> SessionConfig:
        """A copy with ``changes`` applied, validated again."""
        return dataclasses.replace(self, **changes)


def ws_url(name: str, url: str) -> str:
    """``url`` as a ws:// or wss:// URL (http(s) mapped), or ``ConfigError`` naming ``name``."""
    parts = urlsplit(url.strip())
    scheme = {"http": "ws", "https": "wss", "ws": "ws", "wss": "wss"}.get(parts.scheme)
    if scheme is None or not parts.netloc:
        raise ConfigError(
            name,
            f"{url!r} is not a server URL",
            allowed="ws://, wss://, http:// or https:// followed by a host",
        )
    return urlunsplit((scheme, parts.netloc, parts.path, "", ""))


def _tool_name(tool: dict[str, Any]) -> str:
    if not isinstance(tool, dict) or tool.get("type") != "function":
        name = None
    else:
        name = tool.get("name")
    if not isinstance(name, str) or not name:
        raise ConfigError(
            "tools",
            "each tool needs type 'function' and a name",
            allowed='{"type": "function", "name": ..., "parameters": {...}}',
        )
    return name


def _check_type(name: str, value: object, kind: type | tuple[type, ...]) -> None:
    if not isinstance(value, kind):
        raise ConfigError(name, f"{value!r} has the wrong type")


def _check_field(
    row: str, value: object, *, name: str | None = None, integer: bool | None = None
) -> None:
    """``value`` against the session schema's row ``row`` (its range or its choices)."""
    field_row = FIELD[row]
    shown = name or row
    if field_row.choices:
        if not isinstance(value, str):
            raise ConfigError(shown, f"{value!r} has the wrong type")
        _check_choice(shown, value, field_row.choices)
        return
    whole = field_row.kind in ("integer", "tokens") if integer is None else integer
    _check_range(shown, value, *bounds(row), integer=whole)  # type: ignore[arg-type]


def _check_choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ConfigError(name, f"{value!r} is not accepted", allowed=", ".join(allowed))


def _check_range(
    name: str, value: float, low: float, high: float, *, integer: bool = False
) -> None:
    span = f"{low:g} to {high:g}" if high != float("inf") else f"{low:g} or more"
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(name, f"{value!r} is not a number", allowed=span)
    if integer and not isinstance(value, int):
        raise ConfigError(name, f"{value!r} is not a whole number", allowed=span)
    if not low <= value <= high:
        raise ConfigError(name, f"{value} is out of range", allowed=span)

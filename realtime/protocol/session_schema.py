"""The session's fields, written once: name, GA path, beta path, type, range, default, notes.

Pure constants and helpers, on whichever thread asks. The client renders ``session.update``
from this table (``realtime.client.core.session_update``), the bundled engine builds its checks
and its ``session.created`` / ``session.updated`` from it (``realtime.local.session.effective``),
and the sidebar takes its widgets' bounds and choices from it (``realtime.ui.sidebar``), so a
range cannot differ between the two ends and the page. Values travel in one vocabulary (GA's
spellings, flat names); :func:`render` nests them at each version's paths and leaves out what a
version does not take, because the hosted API fails a whole ``session.update`` on a field it
does not know. Paths and figures follow the OpenAI SDK's ``types/realtime/`` (openai 3.60).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from realtime.protocol.facts import GA_VOICES, ApiVersion, pcm_format

__all__ = [
    "EAGERNESS",
    "EFFORTS",
    "FIELD",
    "FIELDS",
    "INCLUDE_LOGPROBS",
    "NOISE_REDUCTION_TYPES",
    "SERVER_VAD_DEFAULTS",
    "SPEED_RANGE",
    "TEMPERATURE_RANGE",
    "TOOL_CHOICES",
    "TRUNCATION_MODES",
    "SessionField",
    "bounds",
    "children",
    "custom_voice",
    "is_custom_voice",
    "render",
    "settings",
    "takes",
    "voice_name",
]

SPEED_RANGE = (0.25, 1.5)
TEMPERATURE_RANGE = (0.6, 1.2)  # beta only
EAGERNESS = ("low", "medium", "high", "auto")  # semantic_vad
TOOL_CHOICES = ("auto", "none", "required")  # or {"type": "function", "name": ...}
EFFORTS = ("minimal", "low", "medium", "high", "xhigh")  # reasoning.effort, transcription.delay
NOISE_REDUCTION_TYPES = ("near_field", "far_field")
TRUNCATION_MODES = ("auto", "disabled")  # or {"type": "retention_ratio", ...}
INCLUDE_LOGPROBS = "item.input_audio_transcription.logprobs"
_CUSTOM_VOICE = re.compile(r"voice_[A-Za-z0-9_-]+")

# When a change takes effect on the hosted API (the sidebar says so beside the widget).
ANY_TIME = "applied live"
BETWEEN_TURNS = "applied live, from the next answer (not while one is spoken)"
BEFORE_AUDIO = "fixed once the model has spoken: a later change is refused until a new session"
ONCE_ON = "fixed once on: turning it off or changing it needs a new session"
AT_CONNECT = "chosen when connecting (in the URL); changing it starts a new session"


@dataclass(frozen=True)
class SessionField:
    """One row: a field's flat ``name`` and where each version puts it (None: not taken)."""

    name: str
    ga: str | None
    beta: str | None
    kind: str  # string, integer, number, boolean, choice, object, array, or a shape named below
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    default: Any = None
    notes: str = ""
    variant: str | None = None  # the parent's ``type`` this field belongs to, if only one
    live: str = ANY_TIME

    def path(self, version: ApiVersion) -> str | None:
        return self.ga if version is ApiVersion.GA else self.beta

    @property
    def key(self) -> str:
        """The key inside its parent object (the last part of its path)."""
        return (self.ga or self.beta or self.name).rsplit(".", 1)[-1]

    @property
    def parent(self) -> str | None:
        head = self.name.rpartition(".")[0]
        return head or None


_TD_GA, _TD_BETA = "audio.input.turn_detection", "turn_detection"
_TR_GA, _TR_BETA = "audio.input.transcription", "input_audio_transcription"
_NR_GA, _NR_BETA = "audio.input.noise_reduction", "input_audio_noise_reduction"


def _both(name: str, ga: str, beta: str, kind: str, **more: Any) -> SessionField:
    return SessionField(name, ga, beta, kind, **more)


def _ga(name: str, ga: str, kind: str, **more: Any) -> SessionField:
    return SessionField(name, ga, None, kind, **more)


def _sub(parent: tuple[str, str, str | None], key: str, kind: str, **more: Any) -> SessionField:
    name, ga, beta = parent
    return SessionField(
        f"{name}.{key}", f"{ga}.{key}", None if beta is None else f"{beta}.{key}", kind, **more
    )


_TD = ("turn_detection", _TD_GA, _TD_BETA)
_TR = ("transcription", _TR_GA, _TR_BETA)
_NR = ("noise_reduction", _NR_GA, _NR_BETA)
_TRUNC = ("truncation", "truncation", None)
_PROMPT = ("prompt", "prompt", None)
_TRACING = ("tracing", "tracing", "tracing")

# fmt: off
FIELDS: tuple[SessionField, ...] = (
    _ga("type", "type", "choice", choices=("realtime",), default="realtime",
        notes="GA's session type; beta sessions have none"),
    _both("model", "model", "model", "string", default="gpt-realtime-2", live=AT_CONNECT,
          notes="the client names it in the URL; for Azure the deployment"),
    _both("instructions", "instructions", "instructions", "string", default=""),
    _both("output_modalities", "output_modalities", "modalities", "modalities",
          choices=("audio", "text"), default=["audio"],
          notes="['audio'] (with transcript) or ['text']; beta spells audio ['text', 'audio']"),
    _both("input_format", "audio.input.format", "input_audio_format", "format",
          default=pcm_format(), notes="PCM16 24 kHz; beta spells it 'pcm16'"),
    _both("output_format", "audio.output.format", "output_audio_format", "format",
          default=pcm_format(), notes="PCM16 24 kHz; beta spells it 'pcm16'"),
    _both("voice", "audio.output.voice", "voice", "voice", choices=GA_VOICES, default="alloy",
          live=BEFORE_AUDIO, notes="a built-in name, or a custom voice {'id': 'voice_...'} (GA)"),
    _both("speed", "audio.output.speed", "speed", "number", low=SPEED_RANGE[0],
          high=SPEED_RANGE[1], default=1.0, live=BETWEEN_TURNS,
          notes="a multiple of normal speed, applied to the audio after it is made"),
    _both(*_TD, "object", default=None, notes="null: push-to-talk (the client commits)"),
    _sub(_TD, "type", "choice", choices=("server_vad", "semantic_vad"), default="server_vad"),
    _sub(_TD, "threshold", "number", low=0.0, high=1.0,
         default=0.5, variant="server_vad"),
    _sub(_TD, "prefix_padding_ms", "integer", low=0, high=5000,
         default=300, variant="server_vad"),
    _sub(_TD, "silence_duration_ms", "integer", low=0, high=10_000,
         default=500, variant="server_vad"),
    _sub(_TD, "create_response", "boolean", default=True),
    _sub(_TD, "interrupt_response", "boolean", default=True),
    _sub(_TD, "eagerness", "choice", choices=EAGERNESS, default="auto", variant="semantic_vad"),
    _ga(f"{_TD[0]}.idle_timeout_ms", f"{_TD_GA}.idle_timeout_ms", "integer", low=5000,
        high=30_000, default=None, variant="server_vad",
        notes="after this much silence following an answer, the model nudges the user "
        "(input_audio_buffer.timeout_triggered); null: never"),
    _both(*_TR, "object", default=None, notes="null: no transcript of the user's speech"),
    _sub(_TR, "model", "string", default="whisper-1",
         notes="any name the server knows; model_list.TRANSCRIPTION_MODELS for OpenAI"),
    _sub(_TR, "language", "language", default=None, notes="ISO-639-1, e.g. 'en'"),
    _sub(_TR, "prompt", "string", default=None, notes="keywords for whisper-1, text otherwise"),
    _ga(f"{_TR[0]}.delay", f"{_TR_GA}.delay", "choice", choices=EFFORTS, default=None,
        notes="gpt-realtime-whisper only: waits longer for a better transcript"),
    _both(*_NR, "object", default=None, notes="null: off"),
    _sub(_NR, "type", "choice", choices=NOISE_REDUCTION_TYPES, default="near_field",
         notes="near_field: headset; far_field: laptop or room microphone"),
    _ga(f"{_NR[0]}.strength", f"{_NR_GA}.strength", "number", low=0.0, high=1.0, default=1.0,
        notes="more suppression when higher; omitted, the current strength stays"),
    _both("max_output_tokens", "max_output_tokens", "max_response_output_tokens", "tokens",
          low=1, high=4096, default="inf", notes="per answer, tool calls included; 'inf': none"),
    SessionField("temperature", None, "temperature", "number", low=TEMPERATURE_RANGE[0],
                 high=TEMPERATURE_RANGE[1], default=0.8,
                 notes="beta only; GA refuses the whole update if it is sent"),
    _both("tools", "tools", "tools", "array", default=[], notes="function tools"),
    _both("tool_choice", "tool_choice", "tool_choice", "tool_choice", choices=TOOL_CHOICES,
          default="auto", notes="or one tool: GA {'type': 'function', 'name'}, "
          "beta 'required' with only that tool offered"),
    _ga("parallel_tool_calls", "parallel_tool_calls", "boolean", default=True,
        notes="reasoning models such as gpt-realtime-2 only"),
    _ga("reasoning", "reasoning", "object", default=None),
    _ga("reasoning.effort", "reasoning.effort", "choice", choices=EFFORTS, default=None,
        notes="reasoning models: more effort, slower and costlier answers; null: the model's"),
    _ga("truncation", "truncation", "truncation", choices=TRUNCATION_MODES, default="auto",
        notes="how old turns leave the context: 'auto', 'disabled' (an error when full), or "
        "a retention ratio: the lever against a cost that grows with every turn"),
    _sub(_TRUNC, "type", "choice", choices=("retention_ratio",), default="retention_ratio"),
    _sub(_TRUNC, "retention_ratio", "number", low=0.0, high=1.0, default=None,
         notes="the share of the conversation kept when it is cut"),
    _sub(_TRUNC, "token_limits", "object", default=None),
    _ga("truncation.token_limits.post_instructions", "truncation.token_limits.post_instructions",
        "integer", low=1, high=None, default=None,
        notes="cut when the conversation after the instructions passes this many tokens "
        "(at most the model's context less max_output_tokens)"),
    _ga(*_PROMPT[:2], "object", default=None, notes="a reusable prompt made on the platform"),
    _sub(_PROMPT, "id", "string", default=None, notes="pmpt_..."),
    _sub(_PROMPT, "version", "string", default=None, notes="null: the prompt's current one"),
    _sub(_PROMPT, "variables", "variables", default=None, notes="{name: text}"),
    _ga("include", "include", "array", choices=(INCLUDE_LOGPROBS,), default=None,
        notes="transcription logprobs: how sure the transcriber was of each word"),
    _both(*_TRACING, "tracing", choices=("auto",), default=None, live=ONCE_ON,
          notes="traces on the platform's dashboard: 'auto' or a workflow name; null: off"),
    _sub(_TRACING, "workflow_name", "string", default=None),
    _sub(_TRACING, "group_id", "string", default=None),
    _sub(_TRACING, "metadata", "object", default=None),
)
# fmt: on

FIELD: dict[str, SessionField] = {row.name: row for row in FIELDS}

# ``server_vad`` as the hosted API fills it in when a field is left out.
SERVER_VAD_DEFAULTS: dict[str, Any] = {
    row.key: row.default
    for row in FIELDS
    if row.parent == "turn_detection" and row.variant in (None, "server_vad") and row.ga
    if row.key not in ("type", "idle_timeout_ms")
}


def takes(name: str, version: ApiVersion) -> bool:
    """Whether ``version`` takes the field ``name`` (``temperature``: beta only)."""
    return FIELD[name].path(version) is not None


def settings(version: ApiVersion) -> tuple[SessionField, ...]:
    """The top-level fields ``version`` takes, in table order."""
    return tuple(r for r in FIELDS if r.parent is None and r.path(version) is not None)


def children(
    name: str, version: ApiVersion, variant: str | None = None
) -> tuple[SessionField, ...]:
    """The fields inside ``name`` that ``version`` takes (for ``variant``, if given)."""
    return tuple(
        r
        for r in FIELDS
        if r.parent == name
        and r.path(version) is not None
        and (variant is None or r.variant in (None, variant))
    )


def bounds(name: str) -> tuple[float, float]:
    """``(low, high)`` of a numeric field; a missing side is unbounded."""
    row = FIELD[name]
    low = float("-inf") if row.low is None else row.low
    high = float("inf") if row.high is None else row.high
    return low, high


def is_custom_voice(voice: str) -> bool:
    """A custom voice id (``voice_...``) rather than a voice name."""
    return _CUSTOM_VOICE.fullmatch(voice) is not None


def custom_voice(voice: str) -> str | dict[str, str]:
    """The wire value of a voice: a name, or ``{"id": ...}`` for a custom voice."""
    return {"id": voice} if is_custom_voice(voice) else voice


def voice_name(value: str | Mapping[str, Any]) -> str:
    """The inverse of :func:`custom_voice`."""
    return value if isinstance(value, str) else str(value["id"])


def render(values: Mapping[str, Any], version: ApiVersion) -> dict[str, Any]:
    """The ``session`` object of ``version`` from flat ``values`` (top-level field -> value in
    the GA spelling); fields and sub-fields the version does not take are left out."""
    out: dict[str, Any] = {}
    for row in settings(version):
        if row.name in values:
            _place(out, str(row.path(version)), _spell(row, values[row.name], version))
    return out


def _spell(row: SessionField, value: Any, version: ApiVersion) -> Any:
    if row.kind == "modalities" and version is ApiVersion.BETA:
        return ["text", "audio"] if "audio" in value else ["text"]
    if row.kind == "format" and version is ApiVersion.BETA:
        return "pcm16"
    if row.kind == "voice" and version is ApiVersion.BETA:
        return voice_name(value)
    if isinstance(value, Mapping) and any(r.parent == row.name for r in FIELDS):
        return _sub_spell(row.name, value, version)
    return value


def _sub_spell(name: str, value: Mapping[str, Any], version: ApiVersion) -> dict[str, Any]:
    if not any(r.parent == name for r in FIELDS):
        return dict(value)  # free-form: prompt variables, tracing metadata
    taken = {r.key: r for r in children(name, version)}
    return {
        k: _sub_spell(taken[k].name, v, version) if isinstance(v, Mapping) else v
        for k, v in value.items()
        if k in taken
    }


def _place(out: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    node = out
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = value

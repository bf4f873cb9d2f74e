"""The hosted models the app offers, and which ones are going away.

Pure constants, read by the sidebar on the Streamlit script thread and by the client's config
checks. Names and shutdown dates follow the OpenAI SDK (openai 3.60, ``types/realtime/``:
``RealtimeSessionCreateRequest.model`` and ``AudioTranscription.model``, "Deprecated values");
the beta preview models went with the beta interface on OpenAI, and stay listed for Azure
OpenAI deployments and compatible servers, which still speak it.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "DEFAULT_MODEL",
    "DEFAULT_TRANSCRIPTION_MODEL",
    "MODELS",
    "REALTIME_MODELS",
    "TRANSCRIPTION_MODELS",
    "ModelInfo",
    "label",
    "notice",
]


@dataclass(frozen=True)
class ModelInfo:
    name: str
    shutdown: str | None = None  # the announced shutdown date, ISO
    retired: bool = False  # gone from OpenAI already (beta preview models)
    note: str = ""


_REALTIME_SHUTDOWN = "2027-01-20"
_TRANSCRIBE_SHUTDOWN = "2027-02-26"

REALTIME_MODELS: tuple[ModelInfo, ...] = (
    ModelInfo("gpt-realtime-2", note="reasoning (reasoning.effort, parallel tool calls)"),
    ModelInfo("gpt-realtime-2.1"),
    ModelInfo("gpt-realtime-2.1-mini"),
    ModelInfo("gpt-realtime-1.5"),
    ModelInfo("gpt-audio-1.5"),
    ModelInfo("gpt-realtime-mini-2025-10-06"),
    ModelInfo("gpt-audio-mini-2025-10-06"),
    ModelInfo("gpt-realtime", shutdown=_REALTIME_SHUTDOWN),
    ModelInfo("gpt-realtime-2025-08-28", shutdown=_REALTIME_SHUTDOWN),
    ModelInfo("gpt-realtime-mini", shutdown=_REALTIME_SHUTDOWN),
    ModelInfo("gpt-realtime-mini-2025-12-15", shutdown=_REALTIME_SHUTDOWN),
    ModelInfo("gpt-audio-mini", shutdown=_REALTIME_SHUTDOWN),
    ModelInfo("gpt-audio-mini-2025-12-15", shutdown=_REALTIME_SHUTDOWN),
    ModelInfo("gpt-4o-realtime-preview", retired=True, note="beta: Azure and compatible servers"),
    ModelInfo("gpt-4o-mini-realtime-preview", retired=True, note="beta: Azure and compatible"),
)
TRANSCRIPTION: tuple[ModelInfo, ...] = (
    ModelInfo("gpt-realtime-whisper", note="streaming; takes delay, not prompt"),
    ModelInfo("gpt-live-transcribe"),
    ModelInfo("gpt-transcribe"),
    ModelInfo("whisper-1", shutdown=_TRANSCRIBE_SHUTDOWN),
    ModelInfo("gpt-4o-transcribe", shutdown=_TRANSCRIBE_SHUTDOWN),
    ModelInfo("gpt-4o-mini-transcribe", shutdown=_TRANSCRIBE_SHUTDOWN),
    ModelInfo("gpt-4o-mini-transcribe-2025-12-15", shutdown=_TRANSCRIBE_SHUTDOWN),
)

MODELS = tuple(m.name for m in REALTIME_MODELS)
TRANSCRIPTION_MODELS = tuple(m.name for m in TRANSCRIPTION)
DEFAULT_MODEL = "gpt-realtime-2"  # the newest GA model the SDK documents (its reasoning model)
DEFAULT_TRANSCRIPTION_MODEL = "gpt-realtime-whisper"  # for OpenAI GA; beta servers: whisper-1
_BY_NAME = {m.name: m for m in (*REALTIME_MODELS, *TRANSCRIPTION)}


def label(name: str) -> str:
    """The name as a list shows it: with its shutdown date when it has one."""
    info = _BY_NAME.get(name)
    if info is None or not (info.shutdown or info.retired):
        return name
    if info.retired:
        return f"{name} (retired on OpenAI; Azure, compatible servers)"
    return f"{name} (shuts down {info.shutdown})"


def notice(name: str) -> str | None:
    """One line for a chosen model that is going or gone on OpenAI, else None."""
    info = _BY_NAME.get(name)
    if info is None:
        return None
    if info.retired:
        return (
            f"{name} is retired on OpenAI (with the beta interface); it still runs where an "
            "Azure OpenAI deployment or a compatible server offers it."
        )
    if info.shutdown:
        return (
            f"{name} is deprecated: OpenAI shuts it down on {info.shutdown}. "
            f"Choose a current model, e.g. {DEFAULT_MODEL if name in MODELS else 'gpt-transcribe'}."
        )
    return None

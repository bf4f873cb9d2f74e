"""Transcription sessions of the local engine: live transcripts of the input audio, no answers.

Pure; owned by the session state machine (``realtime.local.session.server_session``) on the
server's event loop. A session becomes one when the client connects with
``?intent=transcription``, sends a GA ``session.update`` whose ``session.type`` is
``transcription``, or (beta) sends ``transcription_session.update``; a GA ``session.update`` of
type ``realtime`` makes it a voice session again. :func:`apply_transcription_update` checks the
payload from one table per version (GA ``audio.input.*``; beta flat ``input_audio_*``), with
the checks the voice session uses, and changes only the input side of the effective session;
:func:`render_transcription` draws the session object of ``session.created`` /
``session.updated`` (beta: ``transcription_session.updated``).

What the session does differently lives in the session itself: turns are transcribed and
reported (deltas while the user speaks, then ``completed``), never answered, and
``response.create`` is refused. Turn detection only cuts segments, so ``create_response`` and
``interrupt_response`` are not echoed. Without a transcription model the session would report
nothing, so one left out is whisper-1 (the engine runs its own Whisper for any name).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from realtime.local.session.checks import (
    check_format,
    check_noise_reduction,
    check_transcription,
    check_turn_detection,
)
from realtime.local.session.effective import EffectiveSession
from realtime.local.session.wire import (
    Check,
    FieldTable,
    InvalidRequest,
    expect_choice,
    expect_object,
    walk,
)
from realtime.protocol.facts import ApiVersion, pcm_format

__all__ = [
    "DEFAULT_TRANSCRIPTION",
    "TRANSCRIPTION",
    "apply_transcription_update",
    "as_transcription_session",
    "render_transcription",
]

TRANSCRIPTION = "transcription"
DEFAULT_TRANSCRIPTION = {"model": "whisper-1"}
_ANSWERING = ("create_response", "interrupt_response")  # of a voice session's turn detection


def _include(value: Any, param: str) -> list[str] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise InvalidRequest.value(param, f"Invalid type for '{param}': expected an array.")
    allowed = ("item.input_audio_transcription.logprobs",)
    return [expect_choice(v, f"{param}[{i}]", allowed) for i, v in enumerate(value)]


def _at(check: Callable[[Any, str, ApiVersion], Any], version: ApiVersion) -> Check:
    """A schema check for one API version, in the shape the field table takes."""
    return lambda value, param: check(value, param, version)


_GA: FieldTable = {
    "type": (None, lambda v, p: expect_choice(v, p, (TRANSCRIPTION,))),
    "audio": {
        "input": {
            "format": (None, _at(check_format, ApiVersion.GA)),
            "turn_detection": ("turn_detection", _at(check_turn_detection, ApiVersion.GA)),
            "transcription": ("transcription", _at(check_transcription, ApiVersion.GA)),
            "noise_reduction": ("noise_reduction", _at(check_noise_reduction, ApiVersion.GA)),
        },
    },
    "include": ("include", _include),
}
_BETA: FieldTable = {
    "input_audio_format": (None, _at(check_format, ApiVersion.BETA)),
    "turn_detection": ("turn_detection", _at(check_turn_detection, ApiVersion.BETA)),
    "input_audio_transcription": ("transcription", _at(check_transcription, ApiVersion.BETA)),
    "input_audio_noise_reduction": ("noise_reduction", _at(check_noise_reduction, ApiVersion.BETA)),
    "include": ("include", _include),
    "modalities": (None, lambda v, p: v),  # beta echoes ["text"]; nothing else is made
}


def as_transcription_session(current: EffectiveSession) -> EffectiveSession:
    """``current`` as a transcription session starts: with a transcription model."""
    if current.transcription is not None:
        return current
    return dataclasses.replace(current, transcription=dict(DEFAULT_TRANSCRIPTION))


def apply_transcription_update(
    current: EffectiveSession, payload: Any, version: ApiVersion
) -> EffectiveSession:
    """The session after a transcription session's update; raises ``InvalidRequest`` and
    changes nothing if any field is refused."""
    session = expect_object(payload, "session")
    changes = walk(session, _GA if version is ApiVersion.GA else _BETA, "session")
    include = changes.pop("include", current.extras.get("include"))
    updated = dataclasses.replace(current, **changes)
    updated = dataclasses.replace(updated, extras={**current.extras, "include": include})
    return as_transcription_session(updated)


def render_transcription(
    session: EffectiveSession, version: ApiVersion, session_id: str
) -> dict[str, Any]:
    """The session object of a transcription session for ``version``."""
    td = None
    if session.turn_detection is not None:
        td = {k: v for k, v in session.turn_detection.items() if k not in _ANSWERING}
        if version is ApiVersion.BETA:
            td.pop("idle_timeout_ms", None)
    transcription = None if session.transcription is None else dict(session.transcription)
    noise = None if session.noise_reduction is None else dict(session.noise_reduction)
    include = session.extras.get("include")
    if version is ApiVersion.GA:
        return {
            "type": TRANSCRIPTION,
            "object": "realtime.transcription_session",
            "id": session_id,
            "audio": {
                "input": {
                    "format": pcm_format(),
                    "transcription": transcription,
                    "noise_reduction": noise,
                    "turn_detection": td,
                }
            },
            "include": include,
        }
    return {
        "id": session_id,
        "object": "realtime.transcription_session",
        "modalities": ["text"],
        "input_audio_format": "pcm16",
        "input_audio_transcription": transcription,
        "input_audio_noise_reduction": noise,
        "turn_detection": td,
        "include": include,
    }

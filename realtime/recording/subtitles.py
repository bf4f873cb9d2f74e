"""A transcription session's segments, and their export as text, Markdown, SRT and WebVTT.

Pure; the Streamlit script thread calls it with the items of the bridge's published
``Snapshot``. A segment is one spoken user item: its text (the completed transcript, or the
partial one while it is still being transcribed) and its place in the session's input audio
(``audio_start_ms`` / ``audio_end_ms`` of the VAD events). Segments with no words are left out
of the files; one still being transcribed is left out only of the subtitle files, whose cues
must not change after they are written. Every text goes through the ``Redactor``.

SRT: numbered cues, ``HH:MM:SS,mmm --> HH:MM:SS,mmm``, a blank line between cues. WebVTT: the
``WEBVTT`` header, ``HH:MM:SS.mmm`` times, and no ``-->`` inside a cue's text (the arrow is
reserved; it becomes ``->``). A cue whose end was never heard (the connection dropped
mid-speech) ends one second after it started; times never run backwards.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from realtime.client.core.values import Item
from realtime.recording.redact import Redactor

__all__ = ["Segment", "clock", "segments", "to_markdown", "to_srt", "to_text", "to_webvtt"]

OPEN_END_MS = 1000  # the length given to a cue whose speech_stopped never came


@dataclass(frozen=True)
class Segment:
    """One spoken turn of a transcription session."""

    item_id: str
    start_ms: int
    end_ms: int
    text: str
    final: bool  # the completed transcript; False while only partial text has come


def segments(items: Iterable[Item], redactor: Redactor | None = None) -> tuple[Segment, ...]:
    """The spoken user items as segments, in the order the conversation holds them."""
    scrub = (redactor or Redactor()).text
    out: list[Segment] = []
    for item in items:
        if item.role != "user" or item.audio_start_ms is None:
            continue
        start = item.audio_start_ms
        end = item.audio_end_ms if item.audio_end_ms is not None else start + OPEN_END_MS
        text = " ".join(scrub(item.text).split())
        out.append(Segment(item.id, start, max(start, end), text, not item.transcribing))
    return tuple(out)


def clock(ms: int, separator: str = ".") -> str:
    """``HH:MM:SS.mmm`` (``separator`` "," for SRT)."""
    ms = max(0, int(ms))
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}{separator}{millis:03d}"


def _spoken(segs: Iterable[Segment], *, final_only: bool = False) -> list[Segment]:
    return [s for s in segs if s.text and (s.final or not final_only)]


def to_text(segs: Iterable[Segment]) -> str:
    """One line per segment: ``[HH:MM:SS] text``."""
    return "".join(f"[{clock(s.start_ms)[:8]}] {s.text}\n" for s in _spoken(segs))


def to_markdown(segs: Iterable[Segment], title: str = "Transcript") -> str:
    """A heading and one bullet per segment, its time span in bold."""
    lines = [f"# {title}", ""]
    for s in _spoken(segs):
        span = f"{clock(s.start_ms)[:8]}–{clock(s.end_ms)[:8]}"
        partial = " _(partial)_" if not s.final else ""
        lines.append(f"- **{span}** {s.text}{partial}")
    return "\n".join(lines) + "\n"


def to_srt(segs: Iterable[Segment]) -> str:
    """SubRip: the completed segments as numbered cues."""
    blocks = []
    for number, s in enumerate(_spoken(segs, final_only=True), start=1):
        times = f"{clock(s.start_ms, ',')} --> {clock(_end(s), ',')}"
        blocks.append(f"{number}\n{times}\n{s.text}\n")
    return "\n".join(blocks)


def to_webvtt(segs: Iterable[Segment]) -> str:
    """WebVTT: the header, then the completed segments as cues named by their item id."""
    blocks = ["WEBVTT\n"]
    for s in _spoken(segs, final_only=True):
        text = s.text.replace("-->", "->")
        blocks.append(f"{s.item_id}\n{clock(s.start_ms)} --> {clock(_end(s))}\n{text}\n")
    return "\n".join(blocks)


def _end(s: Segment) -> int:
    # A cue must last: a player drops one whose end is not after its start.
    return max(s.end_ms, s.start_ms + 1)

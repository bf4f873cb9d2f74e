"""Transcript exports: text, Markdown, and SRT / WebVTT files that a parser reads back."""

from __future__ import annotations

import re

from realtime.client.core.values import Item
from realtime.recording.redact import Redactor
from realtime.recording.subtitles import (
    Segment,
    clock,
    segments,
    to_markdown,
    to_srt,
    to_text,
    to_webvtt,
)

SEGMENTS = (
    Segment("item_a", 640, 3120, "What time is it in Tokyo?", True),
    Segment("item_b", 3_725_250, 3_727_900, "Thanks, that --> helps.", True),
    Segment("item_c", 3_730_000, 3_731_000, "", True),  # nothing heard: no cue
    Segment("item_d", 3_800_000, 3_801_000, "still tal", False),  # partial: not a cue yet
)

_TIME = r"(\d{2}):(\d{2}):(\d{2})[,.](\d{3})"


def ms(h: str, m: str, s: str, f: str) -> int:
    return ((int(h) * 60 + int(m)) * 60 + int(s)) * 1000 + int(f)


def parse_srt(text: str) -> list[tuple[int, int, int, str]]:
    """A strict SubRip reader: number, times, text lines; blocks apart by one blank line."""
    cues = []
    for block in text.strip("\n").split("\n\n"):
        number, times, *lines = block.split("\n")
        match = re.fullmatch(
            rf"{_TIME.replace('[,.]', ',')} --> {_TIME.replace('[,.]', ',')}", times
        )
        assert match, times
        assert lines and all(line.strip() for line in lines)
        start, end = ms(*match.groups()[:4]), ms(*match.groups()[4:])
        assert start < end
        cues.append((int(number), start, end, "\n".join(lines)))
    assert [c[0] for c in cues] == list(range(1, len(cues) + 1))
    return cues


def parse_webvtt(text: str) -> list[tuple[str, int, int, str]]:
    """A WebVTT reader after the spec's parsing rules, for what we write."""
    assert text.startswith("WEBVTT\n")
    header, *blocks = text.strip("\n").split("\n\n")
    assert header == "WEBVTT"
    cues = []
    for block in blocks:
        ident, times, *lines = block.split("\n")
        assert "-->" not in ident
        match = re.fullmatch(
            rf"{_TIME.replace('[,.]', '[.]')} --> {_TIME.replace('[,.]', '[.]')}", times
        )
        assert match, times
        assert all("-->" not in line for line in lines)
        start, end = ms(*match.groups()[:4]), ms(*match.groups()[4:])
        assert start < end
        cues.append((ident, start, end, "\n".join(lines)))
    return cues


def test_srt_reads_back_with_its_times_and_texts() -> None:
    assert parse_srt(to_srt(SEGMENTS)) == [
        (1, 640, 3120, "What time is it in Tokyo?"),
        (2, 3_725_250, 3_727_900, "Thanks, that --> helps."),
    ]
    assert "01:02:05,250 --> 01:02:07,900" in to_srt(SEGMENTS)


def test_webvtt_reads_back_and_keeps_the_arrow_out_of_cue_text() -> None:
    assert parse_webvtt(to_webvtt(SEGMENTS)) == [
        ("item_a", 640, 3120, "What time is it in Tokyo?"),
        ("item_b", 3_725_250, 3_727_900, "Thanks, that -> helps."),
    ]


def test_no_segments_make_empty_but_valid_files() -> None:
    assert to_srt(()) == ""
    assert parse_webvtt(to_webvtt(())) == []


def test_text_and_markdown_list_every_spoken_segment_with_its_time() -> None:
    assert to_text(SEGMENTS) == (
        "[00:00:00] What time is it in Tokyo?\n"
        "[01:02:05] Thanks, that --> helps.\n"
        "[01:03:20] still tal\n"
    )
    md = to_markdown(SEGMENTS)
    assert md.startswith("# Transcript\n\n")
    assert "- **00:00:00–00:00:03** What time is it in Tokyo?" in md
    assert "- **01:03:20–01:03:21** still tal _(partial)_" in md


def test_segments_come_from_spoken_user_items_redacted() -> None:
    items = (
        Item(
            "i1", text="my key is sk-abcdefghijklmnopqrstuvwx", audio_start_ms=10, audio_end_ms=900
        ),
        Item("i2", role="assistant", text="an answer", audio_start_ms=5),
        Item("i3", text="typed", audio_start_ms=None),
        Item("i4", text=" partial   words", transcribing=True, audio_start_ms=1000),
    )
    redactor = Redactor(secrets=["sk-abcdefghijklmnopqrstuvwx"])
    got = segments(items, redactor)
    assert [s.item_id for s in got] == ["i1", "i4"]
    assert "sk-abc" not in got[0].text
    assert (got[1].text, got[1].final, got[1].end_ms) == ("partial words", False, 2000)


def test_clock_formats_hours_minutes_seconds_millis() -> None:
    assert clock(0) == "00:00:00.000"
    assert clock(3_723_004, ",") == "01:02:03,004"
    assert clock(-5) == "00:00:00.000"

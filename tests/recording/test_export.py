"""Exports: the transcript as Markdown and JSON, the conversation audio as one WAV."""

from __future__ import annotations

import io
import json
import wave
from typing import Any

import numpy as np
import pytest

from realtime.client.core.conversation import Conversation
from realtime.client.core.snapshot import Snapshot, ToolRun
from realtime.client.core.values import AudioOut, ImageInfo, Item
from realtime.protocol.events import serialize
from realtime.recording.export import (
    ItemClock,
    transcript,
    transcript_from_snapshot,
    transcript_json,
    transcript_markdown,
)
from realtime.recording.recorder import ConversationRecorder
from realtime.recording.redact import Redactor
from tests.fixtures.loader import load_turn

KEY = "sk-proj-Zq8vT3xLm2Np7Rw4Ks9Hy6Bd1Fg5Jc0"
REGISTERED = "azure-0123456789abcdef0123456789abcdef"
RATE = 24000
OUTPUT = '{"place": "Tokyo", "local_time": "09:30"}'
RUN = ToolRun("call_1", "get_local_time", '{"place": "Tokyo"}', OUTPUT, True, None, 12.0, "item_f1")


def session(lines: list[dict[str, Any]]) -> tuple[Conversation, ItemClock, list[Any]]:
    """Replay a recording as the bridge would: the conversation and the item clock see it all."""
    conv, clock, effects = Conversation(), ItemClock(), []
    for line in lines:
        clock.record(line["dir"], line["event"], line["t"])
        if line["dir"] == "server":
            effects += conv.receive_frame(serialize(line["event"]), at=line["t"]).effects
    return conv, clock, effects


def tool_session() -> tuple[Conversation, ItemClock]:
    conv, clock, _ = session(load_turn("function_call_ga"))
    conv.function_output("call_1", OUTPUT)
    echo = {"id": "item_o1", "type": "function_call_output", "call_id": "call_1", "output": OUTPUT}
    added = {"type": "conversation.item.added", "previous_item_id": "item_f1", "item": echo}
    clock.record("server", added, 0.9)
    conv.receive(added, at=0.9)
    return conv, clock


# ---- transcript ----------------------------------------------------------------------------
def test_transcript_entries_have_speaker_text_times_and_tool_calls() -> None:
    conv, clock = tool_session()
    entries = transcript(conv.ordered_items(), [RUN], times=clock.times())
    # The call's output is shown on the call, not repeated as its own entry.
    assert [(e.speaker, e.kind) for e in entries] == [
        ("user", "message"),
        ("tool", "function_call"),
    ]
    user, call = entries
    assert user.text == "What time is it in Tokyo?"
    # First appearance on the wire: item_u1 in conversation.item.added at t=0.53, item_f1 in
    # response.output_item.added at t=0.672 (the session's first event is at t=0.0).
    assert (user.at, call.at) == (0.53, 0.672)
    assert call.tool is not None
    assert (call.tool.name, call.tool.arguments) == ("get_local_time", '{"place": "Tokyo"}')
    assert (call.tool.output, call.tool.ok, call.tool.duration_ms) == (OUTPUT, True, 12.0)


def test_transcript_from_a_snapshot() -> None:
    conv, clock = tool_session()
    snapshot = Snapshot(items=conv.ordered_items(), tool_runs=(RUN,))
    assert transcript_from_snapshot(snapshot, times=clock.times()) == transcript(
        conv.ordered_items(), [RUN], times=clock.times()
    )


def test_a_call_without_a_run_takes_its_output_from_the_output_item() -> None:
    conv, _ = tool_session()
    (call,) = [e for e in transcript(conv.ordered_items()) if e.tool]
    assert call.tool is not None and call.tool.output == OUTPUT and call.tool.ok is None


def test_markdown_transcript() -> None:
    conv, clock = tool_session()
    entries = transcript(conv.ordered_items(), [RUN], times=clock.times())
    text = transcript_markdown(entries, meta={"model": "gpt-realtime"})
    assert text.startswith("# Conversation transcript\n\n- model: gpt-realtime\n")
    assert "**User** [00:00.5]\n\nWhat time is it in Tokyo?\n" in text
    assert "**Tool call** [00:00.7] `get_local_time` (ok, 12 ms)" in text
    assert '```json\n{\n  "place": "Tokyo"\n}\n```' in text
    assert '"local_time": "09:30"' in text


def test_voice_transcript_marks_the_interrupted_answer() -> None:
    conv, clock, _ = session(load_turn("barge_in_ga"))
    entries = transcript(conv.ordered_items(), times=clock.times())
    answer = next(e for e in entries if e.speaker == "assistant")
    assert answer.interrupted_at_ms == 800
    assert entries[0].at == 0.0  # item_u1's speech_started, the session's first second
    assert "_(interrupted after 0.80 s)_" in transcript_markdown(entries)


def test_json_transcript() -> None:
    conv, clock = tool_session()
    entries = transcript(conv.ordered_items(), [RUN], times=clock.times())
    document = json.loads(transcript_json(entries, meta={"model": "gpt-realtime"}))
    assert document["meta"] == {"model": "gpt-realtime"}
    user, call = document["entries"]
    assert (user["speaker"], user["text"], user["at"]) == (
        "user",
        "What time is it in Tokyo?",
        0.53,
    )
    assert call["tool"]["arguments"] == '{"place": "Tokyo"}'
    assert call["tool"]["output"] == OUTPUT


def test_exports_never_contain_secrets() -> None:
    lines = json.loads(json.dumps(load_turn("text_ga")).replace("Say hello in French.", KEY))
    conv, clock, _ = session(lines)
    assert any(KEY in item.text for item in conv.ordered_items())  # planted in the session
    leaky = ToolRun("call_9", "debug", f'{{"auth": "Bearer {KEY}"}}', f"used {REGISTERED}", True)
    redactor = Redactor([REGISTERED])
    entries = transcript(conv.ordered_items(), [leaky], times=clock.times(), redactor=redactor)
    meta = {"api_key": REGISTERED, "note": f"Bearer {KEY}", "model": "gpt-realtime"}
    exports = [
        transcript_markdown(entries, meta=meta, redactor=redactor),
        transcript_json(entries, meta=meta, redactor=redactor),
    ]
    for text in exports:
        assert KEY not in text and REGISTERED not in text and "Bearer sk-" not in text
        assert "Bonjour !" in text  # the rest of the conversation is there


def test_item_clock_is_bounded() -> None:
    clock = ItemClock(max_items=2)
    for n in range(4):
        clock.record("server", {"type": "x", "item_id": f"i{n}"}, 100.0 + n)
    assert clock.times() == {"i2": 2.0, "i3": 3.0}


# ---- audio ---------------------------------------------------------------------------------
def tone(seconds: float, value: int = 1000) -> bytes:
    return np.full(round(seconds * RATE), value, dtype="<i2").tobytes()


def read(wav_bytes: bytes) -> tuple[int, int, int, np.ndarray[Any, Any]]:
    with wave.open(io.BytesIO(wav_bytes), "rb") as wav:
        frames = wav.readframes(wav.getnframes())
        shape = (-1, wav.getnchannels())
        info = (wav.getframerate(), wav.getnchannels(), wav.getsampwidth())
    return (*info, np.frombuffer(frames, "<i2").reshape(shape))


def test_wav_export_of_a_session_has_the_right_duration_and_rate() -> None:
    _, _, effects = session(load_turn("voice_ga"))
    recorder = ConversationRecorder()
    for n in range(105):  # the user speaks 2.1 s in 20 ms mic frames from t=0.0
        recorder.push_user(tone(0.02, 1000), at=n * 0.02)
    lines = load_turn("voice_ga")
    delta_times = [x["t"] for x in lines if x["event"]["type"] == "response.output_audio.delta"]
    audio = [e for e in effects if isinstance(e, AudioOut)]
    for at, out in zip(delta_times, audio, strict=True):
        recorder.push_assistant(out.pcm, at=at)
    # The answer starts at t=2.239 s (sample 2.239 * 24000 = 53736) and lasts 1100 ms (26400
    # samples; later deltas arrive faster than real time and follow on): it ends at sample
    # 80136, 3.339 s, after the user's 2.1 s.
    rate, channels, width, samples = read(recorder.to_wav())
    assert (rate, channels, width) == (24000, 2, 2)
    assert len(samples) == 80136 and recorder.duration_s == pytest.approx(3.339)
    assert (samples[:50400, 0] == 1000).all() and (samples[50400:, 0] == 0).all()  # 2.1 s
    assert (samples[:53736, 1] == 0).all()
    heard = b"".join(out.pcm for out in audio)
    assert samples[53736:, 1].tobytes() == heard


def test_mono_mix_has_the_same_timeline() -> None:
    recorder = ConversationRecorder()
    recorder.push_user(tone(1.0, 10000), at=10.0)
    recorder.push_assistant(tone(1.0, 30000), at=10.5)
    rate, channels, _, samples = read(recorder.to_wav(stereo=False))
    assert (rate, channels, len(samples)) == (24000, 1, 36000)  # 10.0 s to 11.5 s
    assert samples[0, 0] == 10000 and samples[-1, 0] == 30000
    assert samples[18000, 0] == 32767  # 10000 + 30000 overlap: clipped, not wrapped


def test_small_timing_jitter_does_not_open_gaps_but_a_pause_does() -> None:
    recorder = ConversationRecorder()
    jitter = [0.0, 0.004, -0.003, 0.006, 0.0] * 10
    for n, wobble in enumerate(jitter):  # 50 frames of 20 ms, delivered a few ms off
        recorder.push_user(tone(0.02), at=n * 0.02 + wobble + 0.01)
    assert recorder.duration_s == pytest.approx(1.0)
    recorder.push_user(tone(0.5), at=3.0)  # after a 2 s pause in the stream
    _, _, _, samples = read(recorder.to_wav())
    # The pause's chunk starts at 3.0 - 0.01 (the origin) = 2.99 s, sample 71760, and adds
    # 0.5 s (12000 samples): 83760 samples in all.
    assert len(samples) == 83760
    assert (samples[24000:71760] == 0).all()


def test_the_cap_keeps_the_last_minutes_and_says_what_was_dropped() -> None:
    recorder = ConversationRecorder(max_minutes=1 / 60)  # one second
    assert recorder.max_minutes == pytest.approx(1 / 60)
    for n in range(30):  # 3 s in 100 ms chunks, each chunk a different level
        recorder.push_user(tone(0.1, n), at=n * 0.1)
    _, _, _, samples = read(recorder.to_wav())
    assert len(samples) == RATE  # exactly the cap
    assert samples[0, 0] == 20 and samples[-1, 0] == 29  # the newest second is kept
    assert recorder.dropped_s == pytest.approx(2.0)


def test_empty_recorder_writes_an_empty_wav_and_clears() -> None:
    recorder = ConversationRecorder()
    assert read(recorder.to_wav())[3].size == 0 and recorder.duration_s == 0.0
    recorder.push_user(tone(0.5), at=1.0)
    recorder.clear()
    assert recorder.duration_s == 0.0 and recorder.origin is None


def _mcp_conversation(*names: str) -> Conversation:
    conv = Conversation()
    for name in names:
        for line in load_turn(name):
            if line["dir"] == "server":
                conv.receive_frame(serialize(line["event"]), at=line["t"])
    return conv


def test_mcp_items_export_as_listings_calls_and_requests() -> None:
    conv = _mcp_conversation("mcp_listing_ga", "mcp_call_ga", "mcp_approval_ga")
    entries = {e.item_id: e for e in transcript(conv.ordered_items())}
    assert entries["mcpl_1"].text == "MCP server docs: tools search, fetch"
    assert entries["mcpl_2"].text == "MCP server down: listing its tools failed"
    call = entries["mcp_c1"].tool
    assert call is not None and call.name == "docs/search" and call.ok is True
    assert call.output == "Realtime API: speech in, speech out."
    assert call.duration_ms == pytest.approx(420.0)
    failed = entries["mcp_c2"].tool
    assert failed is not None and failed.ok is False
    assert failed.error == "tool_execution_error: page not found"
    assert "asked to run fetch (approved)" in entries["mcpr_1"].text
    assert "mcpresp_1" not in entries  # the answer shows on its request
    markdown = transcript_markdown(transcript(conv.ordered_items()))
    assert "`docs/search` (ok, 420 ms)" in markdown and "`docs/fetch` (failed, 300 ms)" in markdown


def test_an_image_is_exported_as_its_type_and_size() -> None:
    items = (
        Item("item_1", text="", status="completed", images=(ImageInfo("image/png", 2048, 8, 6),)),
        Item("item_2", text="And this?", status="completed",
             images=(ImageInfo("image/jpeg", 10), ImageInfo("image/png", 20))),
    )  # fmt: skip
    entries = transcript(items)
    markdown = transcript_markdown(entries)
    assert "_(audio, no transcript)_" not in markdown  # an image alone is not missing audio
    assert "Attached: `<image: image/png, 2048 bytes>`" in markdown
    assert "And this?\n\nAttached: `<image: image/jpeg, 10 bytes>`, `<image: image/png, 20 by" in (
        markdown
    )
    document = json.loads(transcript_json(entries))
    assert document["entries"][1]["images"] == [
        "<image: image/jpeg, 10 bytes>",
        "<image: image/png, 20 bytes>",
    ]

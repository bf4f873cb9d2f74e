"""The local engine's sans-I/O session: client events in, server events and jobs out.

No models, sockets or threads: the VAD is a fake that hears any non-zero sample, jobs are
answered by hand, and what the session sends is replayed through the client's own
``Conversation`` to check that a client can read it.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from realtime.client.conversation import Conversation
from realtime.local.session.beta import beta_event
from realtime.local.session.jobs import Cancel, Outcome, Respond, Speak, Transcribe
from realtime.local.session.server_session import ServerSession
from realtime.local.stages.responder import CallRequest, Reply
from realtime.local.stages.vad import SpeechStarted, SpeechStopped, VadEvent
from realtime.protocol.events import serialize
from realtime.protocol.facts import BYTES_PER_MS, ApiVersion
from realtime.protocol.pcm import bytes_for_ms

FRAME_MS = 20
GOLDEN = Path(__file__).parents[1] / "fixtures" / "session"  # what realtime.client.config sends
TOOLS = [
    {
        "type": "function",
        "name": "get_local_time",
        "description": "Local time of a place.",
        "parameters": {"type": "object", "properties": {"place": {"type": "string"}}},
    }
]


class LoudnessVad:
    """A stand-in for WebRtcVad: a 20 ms frame with any non-zero sample is speech."""

    def __init__(self, settings: Any) -> None:
        self.prefix = int(settings.get("prefix_padding_ms", 300))
        self.silence = int(settings.get("silence_duration_ms", 500))
        self._fed = 0
        self._start: int | None = None
        self._last_voiced = 0
        self._pending = b""

    @property
    def position_ms(self) -> int:
        return self._fed // BYTES_PER_MS

    @property
    def speech_start_ms(self) -> int | None:
        return self._start

    def process(self, pcm: bytes) -> list[VadEvent]:
        self._pending += pcm
        events: list[VadEvent] = []
        size = bytes_for_ms(FRAME_MS)
        while len(self._pending) >= size:
            frame, self._pending = self._pending[:size], self._pending[size:]
            start = self._fed // BYTES_PER_MS
            self._fed += size
            voiced = any(frame)
            if voiced:
                self._last_voiced = start + FRAME_MS
                if self._start is None:
                    self._start = max(0, start - self.prefix)
                    events.append(SpeechStarted(self._start, start))
            elif self._start is not None and start + FRAME_MS - self._last_voiced >= self.silence:
                self._start = None
                events.append(SpeechStopped(start + FRAME_MS, self._last_voiced))
        return events

    def reset(self) -> None:
        self._pending = b""
        self._start = None


def tone(ms: int) -> bytes:
    return (b"\x00\x10" * (bytes_for_ms(ms) // 2))[: bytes_for_ms(ms)]


def silence(ms: int) -> bytes:
    return bytes(bytes_for_ms(ms))


class Harness:
    """A session plus everything it sent, with helpers to talk to it."""

    def __init__(self, version: ApiVersion = ApiVersion.GA, **session: Any) -> None:
        self.session = ServerSession(version=version, vad_factory=LoudnessVad)
        self.events: list[dict[str, Any]] = []
        self.jobs: list[Any] = []
        self.take(self.session.start())
        if session:
            self.send("session.update", session=session)

    def take(self, outcome: Outcome) -> Outcome:
        self.events += outcome.events
        self.jobs += outcome.jobs
        return outcome

    def send(self, event_type: str, **fields: Any) -> Outcome:
        return self.take(self.session.receive({"type": event_type, **fields}))

    def append(self, pcm: bytes) -> Outcome:
        return self.send("input_audio_buffer.append", audio=base64.b64encode(pcm).decode())

    def types(self, outcome: Outcome | None = None) -> list[str]:
        events = outcome.events if outcome is not None else self.events
        return [e["type"] for e in events]

    def last(self, event_type: str) -> dict[str, Any]:
        return next(e for e in reversed(self.events) if e["type"] == event_type)

    def job(self, kind: type) -> Any:
        return next(j for j in reversed(self.jobs) if isinstance(j, kind))

    def text_turn(self, text: str) -> Outcome:
        item = {
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": text}],
        }
        self.send("conversation.item.create", item=item)
        return self.send("response.create")

    def speak(self, *sentences: str, ms: int = 500) -> str:
        """Answer the pending Respond job with text, then its Speak job with tone audio."""
        rid = self.job(Respond).response_id
        self.take(self.session.replied(rid, Reply(" ".join(sentences))))
        for sentence in sentences:
            self.take(self.session.spoken(rid, sentence, tone(ms)))
        self.take(self.session.speech_done(rid))
        return rid

    def conversation(self, version: ApiVersion = ApiVersion.GA) -> Conversation:
        conv = Conversation()
        for event in self.events:
            wire = beta_event(event) if version is ApiVersion.BETA else event
            if wire is not None:
                conv.receive_frame(serialize(wire))
        return conv


def error_of(outcome: Outcome) -> dict[str, Any]:
    (event,) = outcome.events
    assert event["type"] == "error"
    return dict(event["error"])


# ---- session.created / session.update ---------------------------------------------------
def test_session_created_has_the_ga_session_shape() -> None:
    h = Harness()
    (created,) = h.events
    session = created["session"]
    assert created["type"] == "session.created" and session["type"] == "realtime"
    assert session["audio"]["input"]["format"] == {"type": "audio/pcm", "rate": 24000}
    assert session["audio"]["input"]["turn_detection"]["type"] == "server_vad"
    assert session["audio"]["output"]["voice"] == "alloy"
    assert session["output_modalities"] == ["audio"] and session["model"] == "gpt-realtime"
    assert session["audio"]["input"]["transcription"] is None


def test_session_created_has_the_beta_session_shape() -> None:
    session = Harness(ApiVersion.BETA).events[0]["session"]
    assert session["modalities"] == ["text", "audio"] and session["voice"] == "alloy"
    assert session["input_audio_format"] == "pcm16" and "audio" not in session
    assert session["model"] == "gpt-4o-realtime-preview" and session["temperature"] == 0.8


def test_session_update_echoes_the_effective_session() -> None:
    h = Harness()
    h.send(
        "session.update",
        event_id="evt_1",
        session={
            "type": "realtime",
            "instructions": "Be brief.",
            "output_modalities": ["text"],
            "audio": {"input": {"turn_detection": {"type": "server_vad", "threshold": 0.7}}},
            "tools": TOOLS,
            "tool_choice": {"type": "function", "name": "get_local_time"},
        },
    )
    session = h.last("session.updated")["session"]
    assert session["instructions"] == "Be brief." and session["output_modalities"] == ["text"]
    vad = session["audio"]["input"]["turn_detection"]
    assert vad["threshold"] == 0.7 and vad["silence_duration_ms"] == 500  # defaults filled in
    assert session["tools"][0]["name"] == "get_local_time"
    assert session["tool_choice"] == {"type": "function", "name": "get_local_time"}


def test_beta_session_update_takes_flat_fields() -> None:
    h = Harness(ApiVersion.BETA)
    h.send(
        "session.update",
        session={
            "modalities": ["text"],
            "voice": "verse",
            "temperature": 0.7,
            "input_audio_transcription": {"model": "whisper-1", "language": "en"},
            "max_response_output_tokens": 200,
        },
    )
    session = h.last("session.updated")["session"]
    assert session["modalities"] == ["text"] and session["voice"] == "verse"
    assert session["temperature"] == 0.7 and session["max_response_output_tokens"] == 200
    assert session["input_audio_transcription"] == {"model": "whisper-1", "language": "en"}


GA_BAD_UPDATES = [
    ({"temperature": 0.8}, "unknown_parameter", "session.temperature"),
    ({"voice": "alloy"}, "unknown_parameter", "session.voice"),
    (
        {"audio": {"input": {"turn_detection": {"type": "loud_vad"}}}},
        "invalid_value",
        "session.audio.input.turn_detection.type",
    ),
    (
        {"audio": {"input": {"turn_detection": {"type": "server_vad", "threshold": 1.5}}}},
        "invalid_value",
        "session.audio.input.turn_detection.threshold",
    ),
    (
        {"audio": {"input": {"turn_detection": {"type": "semantic_vad", "eagerness": "eager"}}}},
        "invalid_value",
        "session.audio.input.turn_detection.eagerness",
    ),
    ({"audio": {"output": {"voice": "nobody"}}}, "invalid_value", "session.audio.output.voice"),
    (
        {"audio": {"output": {"format": {"type": "audio/pcmu"}}}},
        "invalid_value",
        "session.audio.output.format",
    ),
    ({"instructions": 5}, "invalid_type", "session.instructions"),
    ({"max_output_tokens": 0}, "invalid_value", "session.max_output_tokens"),
    ({"tools": [{"type": "function"}]}, "missing_required_parameter", "session.tools[0].name"),
]


@pytest.mark.parametrize(("fields", "code", "param"), GA_BAD_UPDATES)
def test_bad_ga_session_update_is_refused_whole(
    fields: dict[str, Any], code: str, param: str
) -> None:
    h = Harness()
    before = h.session.settings
    payload = {"type": "realtime", "instructions": "changed", **fields}
    error = error_of(h.send("session.update", event_id="evt_bad", session=payload))
    assert (error["type"], error["code"], error["param"]) == ("invalid_request_error", code, param)
    assert error["event_id"] == "evt_bad" and error["message"]
    assert h.session.settings == before


@pytest.mark.parametrize(
    ("fields", "code", "param"),
    [
        ({"audio": {"output": {"voice": "alloy"}}}, "unknown_parameter", "session.audio"),
        ({"output_modalities": ["text"]}, "unknown_parameter", "session.output_modalities"),
        (
            {"turn_detection": {"type": "server_vad", "idle_timeout_ms": 6000}},
            "unknown_parameter",
            "session.turn_detection.idle_timeout_ms",
        ),
        ({"temperature": 2.0}, "invalid_value", "session.temperature"),
        ({"voice": "cedar"}, "invalid_value", "session.voice"),  # GA-only voice
    ],
)
def test_ga_fields_in_beta_are_unknown(fields: dict[str, Any], code: str, param: str) -> None:
    error = error_of(Harness(ApiVersion.BETA).send("session.update", session=fields))
    assert (error["code"], error["param"]) == (code, param)


def test_ga_update_needs_the_session_type() -> None:
    error = error_of(Harness().send("session.update", session={"instructions": "x"}))
    assert (error["code"], error["param"]) == ("missing_required_parameter", "session.type")


# ---- malformed events -------------------------------------------------------------------
def test_malformed_events_become_errors_and_the_session_goes_on() -> None:
    h = Harness()
    assert error_of(h.take(h.session.receive_frame("{not json")))["code"] == "invalid_json"
    assert error_of(h.take(h.session.receive_frame("[1, 2]")))["code"] == "invalid_type"
    assert error_of(h.take(h.session.receive_frame(b"\xff\xfe")))["code"] == "invalid_json"
    missing = error_of(h.take(h.session.receive_frame('{"event_id": "e1"}')))
    assert (missing["code"], missing["param"], missing["event_id"]) == (
        "missing_required_parameter",
        "type",
        "e1",
    )
    unknown = error_of(h.send("response.explode", event_id="e2"))
    assert (unknown["code"], unknown["param"], unknown["event_id"]) == (
        "invalid_value",
        "type",
        "e2",
    )
    extra = error_of(h.send("input_audio_buffer.clear", colour="blue"))
    assert (extra["code"], extra["param"]) == ("unknown_parameter", "colour")
    field = error_of(h.send("conversation.item.delete"))
    assert (field["code"], field["param"]) == ("missing_required_parameter", "item_id")
    assert error_of(h.send("transcription_session.update", session={}))["param"] == "type"
    assert h.types(h.text_turn("hello")) == ["response.created"]


# ---- input audio ------------------------------------------------------------------------
def test_bad_base64_audio_is_refused() -> None:
    h = Harness()
    error = error_of(h.send("input_audio_buffer.append", audio="not base64!"))
    assert (error["code"], error["param"]) == ("invalid_value", "audio")
    odd = error_of(h.send("input_audio_buffer.append", audio=base64.b64encode(b"abc").decode()))
    assert odd["param"] == "audio"


@pytest.mark.parametrize("ms", [0, 40, 99])
def test_commit_of_less_than_100_ms_is_refused(ms: int) -> None:
    h = Harness(type="realtime", audio={"input": {"turn_detection": None}})
    if ms:
        h.append(tone(ms))
    error = error_of(h.send("input_audio_buffer.commit", event_id="c1"))
    assert (error["code"], error["param"], error["event_id"]) == (
        "input_audio_buffer_commit_empty",
        None,
        "c1",
    )


def test_manual_commit_adds_the_user_item_and_transcribes_it() -> None:
    h = Harness(type="realtime", audio={"input": {"turn_detection": None}})
    assert h.types(h.append(tone(300))) == []  # no VAD: nothing detected
    outcome = h.send("input_audio_buffer.commit")
    assert h.types(outcome) == [
        "input_audio_buffer.committed",
        "conversation.item.added",
        "conversation.item.done",
    ]
    item = outcome.events[1]["item"]
    assert item["content"] == [{"type": "input_audio", "transcript": None}]
    (job,) = outcome.jobs
    assert isinstance(job, Transcribe) and len(job.pcm) == bytes_for_ms(300)
    # Transcription is off: the transcript is kept for the responder, no event is sent.
    assert h.types(h.take(h.session.transcribed(job.item_id, "hello there"))) == []
    h.send("conversation.item.retrieve", item_id=job.item_id)
    retrieved = h.last("conversation.item.retrieved")["item"]["content"][0]
    assert retrieved["transcript"] == "hello there"
    assert base64.b64decode(retrieved["audio"]) == tone(300)


def test_clear_empties_the_buffer() -> None:
    h = Harness(type="realtime", audio={"input": {"turn_detection": None}})
    h.append(tone(300))
    assert h.types(h.send("input_audio_buffer.clear")) == ["input_audio_buffer.cleared"]
    assert (
        error_of(h.send("input_audio_buffer.commit"))["code"] == "input_audio_buffer_commit_empty"
    )


TRANSCRIBED = {"type": "realtime", "audio": {"input": {"transcription": {"model": "whisper-1"}}}}


def test_a_spoken_turn_follows_the_protocol_sequence() -> None:
    h = Harness(**TRANSCRIBED)
    h.append(silence(1000))
    started = h.append(tone(1000))
    assert h.types(started) == ["input_audio_buffer.speech_started"]
    assert started.events[0]["audio_start_ms"] == 700  # onset 1000 - prefix padding 300
    stopped = h.append(silence(600))
    assert h.types(stopped) == [
        "input_audio_buffer.speech_stopped",
        "input_audio_buffer.committed",
        "conversation.item.added",
        "conversation.item.done",
        "response.created",
    ]
    assert stopped.events[0]["audio_end_ms"] == 2500  # speech ended at 2000 + 500 ms silence
    item_id = stopped.events[0]["item_id"]
    assert {e.get("item_id") for e in stopped.events[:2]} == {item_id}
    (job,) = stopped.jobs
    assert isinstance(job, Transcribe) and len(job.pcm) == bytes_for_ms(1800)  # 700..2500 ms
    done = h.take(h.session.transcribed(item_id, "What time is it?"))
    assert h.types(done) == ["conversation.item.input_audio_transcription.completed"]
    respond = done.jobs[0]
    assert isinstance(respond, Respond)
    assert respond.request.messages[-1].text == "What time is it?"
    rid = respond.response_id
    reply = h.take(h.session.replied(rid, Reply("It is noon. Have a nice day.")))
    assert h.types(reply) == [
        "response.output_item.added",
        "conversation.item.added",
        "response.content_part.added",
    ]
    assert isinstance(reply.jobs[0], Speak) and reply.jobs[0].voice == "alloy"
    first = h.take(h.session.spoken(rid, "It is noon.", tone(450)))
    assert (
        h.types(first)
        == ["response.output_audio_transcript.delta"] + ["response.output_audio.delta"] * 3
    )  # 450 ms in 200 ms deltas
    h.take(h.session.spoken(rid, "Have a nice day.", tone(300)))
    finished = h.take(h.session.speech_done(rid))
    assert h.types(finished) == [
        "response.output_audio.done",
        "response.output_audio_transcript.done",
        "response.content_part.done",
        "response.output_item.done",
        "conversation.item.done",
        "response.done",
    ]
    response = finished.events[-1]["response"]
    assert response["status"] == "completed"
    assert response["output"][0]["content"][0] == {
        "type": "output_audio",
        "transcript": "It is noon. Have a nice day.",
    }
    usage = response["usage"]
    assert usage["output_token_details"] == {"text_tokens": 7, "audio_tokens": 8}  # 28 ch, 750 ms
    assert usage["input_token_details"]["audio_tokens"] == 18  # 1800 ms of the user's audio
    conv = h.conversation()
    assert [(i.role, i.text) for i in conv.ordered_items()] == [
        ("user", "What time is it?"),
        ("assistant", "It is noon. Have a nice day."),
    ]
    assert not conv.errors and conv.items[conv.order[1]].audio_ms == pytest.approx(750)


def test_the_response_waits_for_the_transcript() -> None:
    h = Harness()
    h.append(tone(500) + silence(600))
    transcribe = h.job(Transcribe)
    assert h.last("response.created") and not any(isinstance(j, Respond) for j in h.jobs)
    assert h.types(h.take(h.session.transcribed(transcribe.item_id, "hi"))) == []  # not reported
    assert isinstance(h.jobs[-1], Respond)


def test_a_failed_transcription_is_reported_and_the_response_still_runs() -> None:
    h = Harness(**TRANSCRIBED)
    h.append(tone(500) + silence(600))
    failed = h.take(h.session.transcription_failed(h.job(Transcribe).item_id, "no model"))
    assert h.types(failed) == ["conversation.item.input_audio_transcription.failed"]
    assert isinstance(failed.jobs[0], Respond)


def test_create_response_false_only_commits() -> None:
    vad = {"type": "server_vad", "create_response": False}
    h = Harness(type="realtime", audio={"input": {"turn_detection": vad}})
    h.append(tone(500) + silence(600))
    assert "input_audio_buffer.committed" in h.types() and "response.created" not in h.types()


def test_semantic_vad_is_served_by_the_same_detector() -> None:
    vad = {"type": "semantic_vad", "eagerness": "high"}
    h = Harness(type="realtime", audio={"input": {"turn_detection": vad}})
    assert h.last("session.updated")["session"]["audio"]["input"]["turn_detection"] == {
        "type": "semantic_vad",
        "eagerness": "high",
        "create_response": True,
        "interrupt_response": True,
    }


# ---- responses --------------------------------------------------------------------------
def test_barge_in_cancels_the_response_in_the_same_frame() -> None:
    h = Harness()
    h.text_turn("Tell me a story.")
    rid = h.job(Respond).response_id
    h.take(h.session.replied(rid, Reply("Once upon a time. There was a keeper.")))
    h.take(h.session.spoken(rid, "Once upon a time.", tone(400)))
    outcome = h.append(tone(20))
    assert h.types(outcome) == [
        "input_audio_buffer.speech_started",
        "response.output_audio.done",
        "response.output_audio_transcript.done",
        "response.content_part.done",
        "response.output_item.done",
        "conversation.item.done",
        "response.done",
    ]
    response = outcome.events[-1]["response"]
    assert response["status"] == "cancelled"
    assert response["status_details"] == {"type": "cancelled", "reason": "turn_detected"}
    assert response["output"][0]["status"] == "incomplete"
    assert outcome.jobs == (Cancel(rid),)
    # What the synthesiser still makes afterwards is dropped.
    assert h.take(h.session.spoken(rid, "There was a keeper.", tone(400))) == Outcome()
    assert h.take(h.session.speech_done(rid)) == Outcome()


def test_interrupt_response_false_lets_the_answer_finish() -> None:
    vad = {"type": "server_vad", "interrupt_response": False}
    h = Harness(type="realtime", audio={"input": {"turn_detection": vad}})
    h.text_turn("Tell me a story.")
    rid = h.job(Respond).response_id
    h.take(h.session.replied(rid, Reply("Once upon a time.")))
    h.append(tone(300) + silence(600))  # the user spoke meanwhile: answered afterwards
    assert h.session.response is not None and h.session.response.id == rid
    h.take(h.session.spoken(rid, "Once upon a time.", tone(200)))
    finished = h.take(h.session.speech_done(rid))
    assert h.types(finished)[-2:] == ["response.done", "response.created"]


def test_response_cancel_and_cancel_without_a_response() -> None:
    h = Harness()
    error = error_of(h.send("response.cancel", event_id="x1"))
    assert (error["code"], error["event_id"]) == ("response_cancel_not_active", "x1")
    h.text_turn("Hello")
    rid = h.job(Respond).response_id
    assert error_of(h.send("response.cancel", response_id="resp_other"))["code"] == (
        "response_cancel_not_active"
    )
    cancelled = h.send("response.cancel", response_id=rid)
    assert h.types(cancelled) == ["response.done"]  # nothing was output yet
    assert cancelled.events[0]["response"]["status_details"]["reason"] == "client_cancelled"
    assert h.take(h.session.replied(rid, Reply("late"))) == Outcome()


def test_response_create_while_one_is_active_is_refused() -> None:
    h = Harness()
    h.text_turn("Hello")
    error = error_of(h.send("response.create", event_id="r2"))
    assert (error["code"], error["event_id"]) == ("conversation_already_has_active_response", "r2")


def test_text_only_responses_stream_text_and_no_audio() -> None:
    h = Harness(type="realtime", output_modalities=["text"])
    h.text_turn("Hello")
    outcome = h.take(h.session.replied(h.job(Respond).response_id, Reply("Hi there. Ask away.")))
    assert h.types(outcome) == [
        "response.output_item.added",
        "conversation.item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "conversation.item.done",
        "response.done",
    ]
    assert not outcome.jobs
    assert [e["delta"] for e in outcome.events if e["type"].endswith("text.delta")] == [
        "Hi there.",
        " Ask away.",
    ]
    assert h.conversation().ordered_items()[-1].text == "Hi there. Ask away."


def test_function_call_then_output_then_spoken_answer() -> None:
    h = Harness(type="realtime", tools=TOOLS)
    h.text_turn("What time is it in Tokyo?")
    respond = h.job(Respond)
    assert respond.request.callable_tools == {"get_local_time"}
    args = json.dumps({"place": "Tokyo"})
    outcome = h.take(
        h.session.replied(
            respond.response_id,
            Reply(calls=(CallRequest("get_local_time", args), CallRequest("launch_rocket", "{}"))),
        )
    )
    types = h.types(outcome)
    assert types[:2] == ["response.output_item.added", "conversation.item.added"]
    assert types[-4:] == [
        "response.function_call_arguments.done",
        "response.output_item.done",
        "conversation.item.done",
        "response.done",
    ]
    done = outcome.events[-4]
    assert (done["name"], json.loads(done["arguments"])) == ("get_local_time", {"place": "Tokyo"})
    assert len(outcome.events[-1]["response"]["output"]) == 1  # the unoffered tool is dropped
    conv = h.conversation()
    (call,) = [c for c in conv.calls.values() if c.done and c.output is None]
    assert call.parsed == {"place": "Tokyo"}
    for event in conv.function_output(call.call_id, json.dumps({"time": "14:05"})).events:
        h.send(event["type"], **{k: v for k, v in event.items() if k != "type"})
    answer = h.job(Respond)
    assert answer.response_id != respond.response_id
    assert answer.request.messages[-1].type == "function_call_output"
    assert answer.request.messages[-2].name == "get_local_time"


def test_function_call_output_needs_a_known_call() -> None:
    h = Harness()
    item = {"type": "function_call_output", "call_id": "call_nope", "output": "{}"}
    error = error_of(h.send("conversation.item.create", item=item))
    assert (error["code"], error["param"]) == ("invalid_value", "item.call_id")


def test_out_of_band_response_stays_out_of_the_conversation() -> None:
    h = Harness(type="realtime", output_modalities=["text"])
    h.send(
        "response.create",
        response={
            "conversation": "none",
            "metadata": {"topic": "summary"},
            "instructions": "Summarise.",
            "input": [],
        },
    )
    respond = h.job(Respond)
    assert respond.request.instructions == "Summarise." and respond.request.messages == ()
    outcome = h.take(h.session.replied(respond.response_id, Reply("Nothing yet.")))
    assert "conversation.item.added" not in h.types(outcome)
    response = outcome.events[-1]["response"]
    assert response["conversation_id"] is None and response["metadata"] == {"topic": "summary"}
    assert len(h.session.history) == 0


def test_response_create_options_are_checked_per_version() -> None:
    ga = Harness()
    error = error_of(ga.send("response.create", response={"modalities": ["text"]}))
    assert (error["code"], error["param"]) == ("unknown_parameter", "response.modalities")
    beta = Harness(ApiVersion.BETA)
    beta.send("response.create", response={"modalities": ["text"], "temperature": 0.9})
    assert beta.last("response.created")["response"]["output_modalities"] == ["text"]


def test_max_output_tokens_ends_the_response_incomplete() -> None:
    h = Harness(type="realtime", max_output_tokens=5)
    h.text_turn("Hello")
    rid = h.job(Respond).response_id
    h.take(h.session.replied(rid, Reply("Short one. And then a much longer second sentence.")))
    h.take(h.session.spoken(rid, "Short one.", tone(100)))
    outcome = h.take(h.session.spoken(rid, "And then a much longer second sentence.", tone(900)))
    response = outcome.events[-1]["response"]
    assert response["status"] == "incomplete"
    assert response["status_details"]["reason"] == "max_output_tokens"
    assert response["output"][0]["content"][0]["transcript"] == "Short one."
    assert outcome.jobs == (Cancel(rid),)


def test_a_limit_inside_the_first_sentence_still_delivers_its_first_words() -> None:
    sentence = "Once upon a time a small dragon lived in a cave."
    h = Harness(type="realtime", max_output_tokens=8)
    h.text_turn("Tell me a story")
    rid = h.job(Respond).response_id
    h.take(h.session.replied(rid, Reply(sentence)))
    outcome = h.take(h.session.spoken(rid, sentence, tone(3000)))
    response = outcome.events[-1]["response"]
    assert response["status"] == "incomplete"
    assert response["status_details"] == {"type": "incomplete", "reason": "max_output_tokens"}
    said = response["output"][0]["content"][0]["transcript"]
    assert said == "Once" and "response.output_audio.delta" in h.types(outcome)
    assert 0 < response["usage"]["output_tokens"] <= 8
    assert outcome.jobs == (Cancel(rid),)


def test_a_text_answer_cut_mid_sentence_keeps_the_words_that_fit() -> None:
    h = Harness(type="realtime", output_modalities=["text"], max_output_tokens=3)
    h.text_turn("Hello")
    rid = h.job(Respond).response_id
    outcome = h.take(h.session.replied(rid, Reply("Hello there, this is a long sentence.")))
    response = outcome.events[-1]["response"]
    assert response["status"] == "incomplete"
    assert response["status_details"] == {"type": "incomplete", "reason": "max_output_tokens"}
    assert response["output"][0]["content"][0]["text"] == "Hello there,"
    assert response["usage"]["output_tokens"] == 3


# ---- items ------------------------------------------------------------------------------
def test_truncate_trims_audio_and_transcript() -> None:
    h = Harness()
    h.text_turn("Hello")
    h.speak("One two three four.", "Five six seven eight.", ms=500)
    item_id = h.session.history.ordered()[-1].id
    outcome = h.send(
        "conversation.item.truncate", item_id=item_id, content_index=0, audio_end_ms=500
    )
    assert outcome.events[0] == {
        **outcome.events[0],
        "type": "conversation.item.truncated",
        "item_id": item_id,
        "audio_end_ms": 500,
    }
    h.send("conversation.item.retrieve", item_id=item_id)
    part = h.last("conversation.item.retrieved")["item"]["content"][0]
    assert len(base64.b64decode(part["audio"])) == bytes_for_ms(500)
    assert part["transcript"] == "One two three four."  # half the audio, half the words
    too_long = error_of(
        h.send("conversation.item.truncate", item_id=item_id, content_index=0, audio_end_ms=900)
    )
    assert (too_long["code"], too_long["param"]) == ("invalid_value", "audio_end_ms")
    user = h.session.history.ordered()[0].id
    wrong = error_of(
        h.send("conversation.item.truncate", item_id=user, content_index=0, audio_end_ms=0)
    )
    assert wrong["param"] == "item_id"
    assert (
        error_of(
            h.send("conversation.item.truncate", item_id="item_x", content_index=0, audio_end_ms=0)
        )["param"]
        == "item_id"
    )
    conv = h.conversation()
    assert conv.items[item_id].truncated_at_ms == 500


def test_item_create_delete_retrieve_and_ordering() -> None:
    h = Harness()
    first = {
        "id": "item_a",
        "type": "message",
        "role": "user",
        "content": [{"type": "input_text", "text": "a"}],
    }
    assert h.types(h.send("conversation.item.create", item=first)) == [
        "conversation.item.added",
        "conversation.item.done",
    ]
    root = {**first, "id": "item_b"}
    added = h.send("conversation.item.create", item=root, previous_item_id="root")
    assert added.events[0]["previous_item_id"] is None
    assert [i.id for i in h.session.history.ordered()] == ["item_b", "item_a"]
    assert error_of(h.send("conversation.item.create", item=first))["param"] == "item.id"
    bad_prev = error_of(
        h.send(
            "conversation.item.create", item={**first, "id": "item_c"}, previous_item_id="item_zzz"
        )
    )
    assert bad_prev["param"] == "previous_item_id"
    bad_role = error_of(h.send("conversation.item.create", item={**first, "role": "robot"}))
    assert bad_role["param"] == "item.role"
    assert h.types(h.send("conversation.item.delete", item_id="item_a")) == [
        "conversation.item.deleted"
    ]
    assert error_of(h.send("conversation.item.delete", item_id="item_a"))["param"] == "item_id"
    assert error_of(h.send("conversation.item.retrieve", item_id="item_a"))["param"] == "item_id"


def test_user_audio_items_are_transcribed_for_the_responder() -> None:
    h = Harness(**TRANSCRIBED)
    audio = base64.b64encode(tone(300)).decode()
    item = {"type": "message", "role": "user", "content": [{"type": "input_audio", "audio": audio}]}
    outcome = h.send("conversation.item.create", item=item)
    (job,) = outcome.jobs
    assert isinstance(job, Transcribe) and job.pcm == tone(300)
    h.send("response.create")
    assert not any(isinstance(j, Respond) for j in h.jobs)  # waits for the transcript
    done = h.take(h.session.transcribed(job.item_id, "Hi"))
    assert h.types(done) == ["conversation.item.input_audio_transcription.completed"]
    assert done.jobs[0].request.messages[-1].text == "Hi"  # type: ignore[union-attr]


# ---- the beta edge ----------------------------------------------------------------------
def test_beta_edge_renames_events_and_content_types() -> None:
    h = Harness(ApiVersion.BETA)
    h.text_turn("Hello")
    h.speak("Hi there.", ms=300)
    wire = [beta_event(e) for e in h.events]
    names = [e["type"] for e in wire if e is not None]
    assert "conversation.item.created" in names and "response.audio.delta" in names
    assert "response.audio_transcript.done" in names
    assert not {"conversation.item.added", "conversation.item.done"} & set(names)
    done = next(e for e in wire if e and e["type"] == "response.done")["response"]
    assert done["modalities"] == ["text", "audio"] and done["voice"] == "alloy"
    assert done["output"][0]["content"][0]["type"] == "audio"
    assert "output_modalities" not in done and "audio" not in done


def test_ga_and_beta_sessions_give_the_same_conversation() -> None:
    summaries = []
    for version in (ApiVersion.GA, ApiVersion.BETA):
        h = Harness(version)
        h.text_turn("Hello")
        h.speak("Hi there.", "How can I help?")
        conv = h.conversation(version)
        assert not conv.errors and not conv.unknown_events
        summaries.append([(i.role, i.text, i.status) for i in conv.ordered_items()])
    assert summaries[0] == summaries[1]


@pytest.mark.parametrize("path", sorted(GOLDEN.glob("*.json")), ids=lambda p: p.stem)
def test_every_session_update_the_app_builds_is_accepted(path: Path) -> None:
    version = ApiVersion.BETA if path.stem.endswith("beta") else ApiVersion.GA
    h = Harness(version)
    outcome = h.send("session.update", session=json.loads(path.read_text()))
    assert h.types(outcome) == ["session.updated"]


def test_history_keeps_bounded_audio_and_every_transcript() -> None:
    from realtime.local.session.history import History
    from realtime.local.session.items import ItemRecord, Part

    history = History(max_audio_bytes=48_000)  # one second
    for n in range(4):  # four items of 400 ms each
        part = Part("input_audio", transcript=f"turn {n}", audio=bytes(19_200))
        history.insert(ItemRecord(f"i{n}", role="user", content=(part,)))
    assert history.audio_bytes() <= 48_000
    kept = [len(item.content[0].audio) for item in history.ordered()]
    assert kept == [0, 0, 19_200, 19_200]  # the oldest lost their audio first
    assert [item.content[0].transcript for item in history.ordered()] == [
        "turn 0",
        "turn 1",
        "turn 2",
        "turn 3",
    ]

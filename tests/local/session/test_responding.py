"""The responding side (``realtime.local.session.responding``): the one response in progress,
waiting for transcripts, deferral, barge-in, cancels, the tools a response may call.

The first tests drive a ``ResponseDriver`` alone (``DriverHarness``); the rest drive a whole
session with a fake detector and jobs answered by hand (``tests.support.session``).
"""

from __future__ import annotations

import json
from typing import Any

from realtime.local.session.effective import EffectiveSession
from realtime.local.session.history import History
from realtime.local.session.jobs import Cancel, Outbox, Respond, SessionOutcome, Speak, Transcribe
from realtime.local.session.options import ResponseOptions
from realtime.local.session.responding import ResponseDriver
from realtime.local.stages.responders.responder import CallRequest, Reply
from realtime.protocol.pcm import bytes_for_ms
from tests.support.session import TOOLS, SessionHarness, error_of, silence, tone

TOOL = {"type": "function", "name": "get_local_time", "parameters": {"type": "object"}}


class DriverHarness:
    """A ResponseDriver with settings and pending transcripts the test sets."""

    def __init__(self, **settings: Any) -> None:
        self.out = Outbox()
        self.settings = EffectiveSession(model="m", **settings)
        self.transcribing = False
        self.driver = ResponseDriver(
            self.out,
            History(),
            conversation_id="conv_1",
            settings=lambda: self.settings,
            transcribing=lambda: self.transcribing,
        )

    def create(self) -> str:
        self.driver.create(ResponseOptions.from_session(self.settings))
        assert self.driver.response is not None
        return self.driver.response.id

    def take(self) -> SessionOutcome:
        return self.out.take()


def types(outcome: SessionOutcome) -> list[str]:
    return [e["type"] for e in outcome.events]


def done_status(outcome: SessionOutcome) -> str:
    (done,) = [e for e in outcome.events if e["type"] == "response.done"]
    return str(done["response"]["status"])


def test_a_response_waits_for_pending_transcripts() -> None:
    h = DriverHarness()
    h.transcribing = True
    rid = h.create()
    first = h.take()
    assert types(first) == ["response.created"] and first.jobs == ()
    h.driver.transcripts_arrived()  # one came in, another is still pending
    assert h.take().jobs == ()
    h.transcribing = False
    h.driver.transcripts_arrived()
    (job,) = h.take().jobs
    assert isinstance(job, Respond) and job.response_id == rid


def test_a_spoken_reply_becomes_a_speak_job_then_completes() -> None:
    h = DriverHarness(voice="ash", speed=1.2)
    rid = h.create()
    h.take()
    h.driver.replied(rid, Reply("Hello there."))
    assert h.take().jobs == (Speak(rid, "Hello there.", "ash", 1.2),)
    h.driver.spoken(rid, "Hello there.", bytes(bytes_for_ms(300)))
    assert "response.output_audio.delta" in types(h.take())
    h.driver.speech_done(rid)
    assert done_status(h.take()) == "completed" and h.driver.response is None


def test_a_call_to_a_tool_the_response_does_not_offer_is_dropped() -> None:
    h = DriverHarness(tools=(TOOL,))
    rid = h.create()
    h.take()
    calls = (CallRequest("get_local_time", "{}"), CallRequest("rm_rf", "{}"))
    h.driver.replied(rid, Reply("", calls))
    outcome = h.take()
    added = [e["item"] for e in outcome.events if e["type"] == "response.output_item.added"]
    assert [item["name"] for item in added] == ["get_local_time"]
    assert done_status(outcome) == "completed"


def test_a_turn_during_a_response_is_answered_right_after_it() -> None:
    h = DriverHarness(output_modalities=("text",))
    rid = h.create()
    h.take()
    h.driver.turn_ended(h.settings.turn_detection)
    assert h.take().events == ()  # deferred, not dropped and not a second response
    h.settings = EffectiveSession(model="m", output_modalities=("text",), instructions="Later.")
    h.driver.replied(rid, Reply("First answer."))
    outcome = h.take()
    assert types(outcome)[-1] == "response.created"
    assert h.driver.response is not None and h.driver.response.id != rid
    assert h.driver.response.options.instructions == "Later."  # the settings at its start


def test_a_turn_without_create_response_is_not_answered() -> None:
    h = DriverHarness()
    h.driver.turn_ended({"type": "server_vad", "create_response": False})
    assert h.driver.response is None and h.take().events == ()


def test_speech_cancels_the_response_unless_interrupt_response_is_off() -> None:
    h = DriverHarness()
    rid = h.create()
    h.take()
    h.driver.speech_started({"type": "server_vad", "interrupt_response": False})
    assert h.driver.response is not None and h.take().events == ()
    h.driver.speech_started({"type": "server_vad", "interrupt_response": True})
    assert done_status(h.take()) == "cancelled" and h.driver.response is None
    h.driver.replied(rid, Reply("Too late."))  # a late result for a cancelled response
    assert h.take() == SessionOutcome()


# ---- through a session ------------------------------------------------------------------
def test_the_response_waits_for_the_transcript() -> None:
    h = SessionHarness()
    h.append(tone(500) + silence(600))
    transcribe = h.job(Transcribe)
    assert h.last("response.created") and not any(isinstance(j, Respond) for j in h.jobs)
    assert h.types(h.take(h.session.transcribed(transcribe.item_id, "hi"))) == []  # not reported
    assert isinstance(h.jobs[-1], Respond)


def test_create_response_false_only_commits() -> None:
    vad = {"type": "server_vad", "create_response": False}
    h = SessionHarness(type="realtime", audio={"input": {"turn_detection": vad}})
    h.append(tone(500) + silence(600))
    assert "input_audio_buffer.committed" in h.types() and "response.created" not in h.types()


def test_barge_in_cancels_the_response_in_the_same_frame() -> None:
    h = SessionHarness()
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
    assert h.take(h.session.spoken(rid, "There was a keeper.", tone(400))) == SessionOutcome()
    assert h.take(h.session.speech_done(rid)) == SessionOutcome()


def test_interrupt_response_false_lets_the_answer_finish() -> None:
    vad = {"type": "server_vad", "interrupt_response": False}
    h = SessionHarness(type="realtime", audio={"input": {"turn_detection": vad}})
    h.text_turn("Tell me a story.")
    rid = h.job(Respond).response_id
    h.take(h.session.replied(rid, Reply("Once upon a time.")))
    h.append(tone(300) + silence(600))  # the user spoke meanwhile: answered afterwards
    assert h.session.response is not None and h.session.response.id == rid
    h.take(h.session.spoken(rid, "Once upon a time.", tone(200)))
    finished = h.take(h.session.speech_done(rid))
    assert h.types(finished)[-2:] == ["response.done", "response.created"]


def test_response_cancel_and_cancel_without_a_response() -> None:
    h = SessionHarness()
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
    assert h.take(h.session.replied(rid, Reply("late"))) == SessionOutcome()


def test_response_create_while_one_is_active_is_refused() -> None:
    h = SessionHarness()
    h.text_turn("Hello")
    error = error_of(h.send("response.create", event_id="r2"))
    assert (error["code"], error["event_id"]) == ("conversation_already_has_active_response", "r2")


def test_function_call_then_output_then_spoken_answer() -> None:
    h = SessionHarness(type="realtime", tools=TOOLS)
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

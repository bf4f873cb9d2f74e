"""Turn-taking: the one response in progress, waiting for transcripts, deferral, barge-in."""

from __future__ import annotations

from typing import Any

from realtime.local.session.effective import EffectiveSession
from realtime.local.session.history import History
from realtime.local.session.jobs import Outbox, Respond, SessionOutcome, Speak
from realtime.local.session.options import ResponseOptions
from realtime.local.session.responding import ResponseDriver
from realtime.local.stages.responders.responder import CallRequest, Reply
from realtime.protocol.pcm import bytes_for_ms

TOOL = {"type": "function", "name": "get_local_time", "parameters": {"type": "object"}}


class Harness:
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
    h = Harness()
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
    h = Harness(voice="ash", speed=1.2)
    rid = h.create()
    h.take()
    h.driver.replied(rid, Reply("Hello there."))
    assert h.take().jobs == (Speak(rid, "Hello there.", "ash", 1.2),)
    h.driver.spoken(rid, "Hello there.", bytes(bytes_for_ms(300)))
    assert "response.output_audio.delta" in types(h.take())
    h.driver.speech_done(rid)
    assert done_status(h.take()) == "completed" and h.driver.response is None


def test_a_call_to_a_tool_the_response_does_not_offer_is_dropped() -> None:
    h = Harness(tools=(TOOL,))
    rid = h.create()
    h.take()
    calls = (CallRequest("get_local_time", "{}"), CallRequest("rm_rf", "{}"))
    h.driver.replied(rid, Reply("", calls))
    outcome = h.take()
    added = [e["item"] for e in outcome.events if e["type"] == "response.output_item.added"]
    assert [item["name"] for item in added] == ["get_local_time"]
    assert done_status(outcome) == "completed"


def test_a_turn_during_a_response_is_answered_right_after_it() -> None:
    h = Harness(output_modalities=("text",))
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
    h = Harness()
    h.driver.turn_ended({"type": "server_vad", "create_response": False})
    assert h.driver.response is None and h.take().events == ()


def test_speech_cancels_the_response_unless_interrupt_response_is_off() -> None:
    h = Harness()
    rid = h.create()
    h.take()
    h.driver.speech_started({"type": "server_vad", "interrupt_response": False})
    assert h.driver.response is not None and h.take().events == ()
    h.driver.speech_started({"type": "server_vad", "interrupt_response": True})
    assert done_status(h.take()) == "cancelled" and h.driver.response is None
    h.driver.replied(rid, Reply("Too late."))  # a late result for a cancelled response
    assert h.take() == SessionOutcome()

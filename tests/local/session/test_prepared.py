"""Answers prepared ahead (``realtime.local.session.prepared``), driven through a session.

A fake detector that says where voicing ended (``PausingLoudnessVad``) lets the session guess
the turn at its first pause; the tests answer its jobs by hand, as the connection would, and
check that nothing of a prepared answer is sent before the turn ends, that the events come in
the order they have without preparing, and what is counted.
"""

from __future__ import annotations

import json
from typing import Any

from realtime.local.session.ahead import GUESS_TAIL_MS
from realtime.local.session.jobs import Cancel, Respond, SessionOutcome, Speak, Transcribe
from realtime.local.session.prepared import AnswerCounts
from realtime.local.stages.responders.responder import CallRequest, Message, Reply
from realtime.local.stages.vad.detector import SpeechStopped, VadEvent
from tests.support.session import (
    TOOLS,
    TRANSCRIBED,
    PausingLoudnessVad,
    SessionHarness,
    silence,
    tone,
)

DELTA = "conversation.item.input_audio_transcription.delta"
COMPLETED = "conversation.item.input_audio_transcription.completed"
QUESTION = "What time is it in Tokyo?"
ANSWER = ("It is noon in Tokyo.", "Have a nice day.")
TURN_END = [
    "input_audio_buffer.speech_stopped",
    "input_audio_buffer.committed",
    "conversation.item.added",
    "conversation.item.done",
    "response.created",
    COMPLETED,
]


def pause(h: SessionHarness) -> Transcribe:
    """Speak 600 ms, then the pause: the guess at it, asked for."""
    h.append(silence(400))
    h.append(tone(600))
    h.append(silence(GUESS_TAIL_MS))
    return guess_job(h)


def guess_job(h: SessionHarness) -> Transcribe:
    return next(j for j in reversed(h.jobs) if isinstance(j, Transcribe) and j.guess is not None)


def jobs(h: SessionHarness, kind: type) -> list[Any]:
    return [j for j in h.jobs if isinstance(j, kind)]


def response_events(outcome: SessionOutcome) -> list[str]:
    return [e["type"] for e in outcome.events if e["type"].startswith("response.")]


def test_an_answer_prepared_at_the_pause_is_sent_only_after_the_turn_ends() -> None:
    counts = AnswerCounts()
    h = SessionHarness(answers=counts, **TRANSCRIBED)
    came = h.take(h.session.guessed(pause(h), QUESTION, 0.1))
    assert h.types(came) == [DELTA]  # the words, as without preparing; nothing of an answer
    (prepared,) = [j for j in came.jobs if isinstance(j, Respond)]
    assert prepared.request.messages[-1] == Message("message", "user", QUESTION)
    key = prepared.response_id
    # The responder's reply and the first sentence's audio come back during the silence.
    reply = h.take(h.session.replied(key, Reply(" ".join(ANSWER))))
    assert reply.events == () and reply.jobs == (Speak(key, ANSWER[0], "alloy", 1.0),)
    for outcome in (
        h.take(h.session.spoken(key, ANSWER[0], tone(450))),
        h.take(h.session.speech_done(key)),
    ):
        assert outcome == SessionOutcome()
    assert not any(t.startswith("response.") for t in h.types())

    stopped = h.append(silence(500 - GUESS_TAIL_MS))
    first_audio = ["response.output_audio_transcript.delta"] + ["response.output_audio.delta"] * 3
    assert h.types(stopped) == [
        *TURN_END,  # the turn's own events first, in the hosted API's order
        "response.output_item.added",
        "conversation.item.added",
        "response.content_part.added",
        *first_audio,  # the prepared first sentence, at once
    ]
    # No second responder run: the rest of the text is spoken after the first sentence.
    assert stopped.jobs == (Speak(key, ANSWER[1], "alloy", 1.0, lead=False),)
    assert len(jobs(h, Respond)) == 1
    h.take(h.session.spoken(key, ANSWER[1], tone(300)))
    finished = h.take(h.session.speech_done(key))
    assert response_events(finished)[-1] == "response.done"
    done = finished.events[-1]["response"]
    assert (
        done["status"] == "completed" and done["id"] == h.last("response.created")["response"]["id"]
    )
    assert {e["response_id"] for e in h.events if "response_id" in e} == {done["id"]}
    conv = h.conversation()
    assert not conv.errors
    assert [(i.role, i.text) for i in conv.ordered_items()] == [
        ("user", QUESTION),
        ("assistant", " ".join(ANSWER)),
    ]
    assert counts == AnswerCounts(started=1, used=1, dropped=0)
    assert h.types() == _without_preparing()  # the same events, in the same order


def _without_preparing() -> list[str]:
    """The event types of the same turn in a session that prepares nothing."""
    h = SessionHarness(vad=PausingLoudnessVad, **TRANSCRIBED)
    h.take(h.session.guessed(pause(h), QUESTION, 0.1))
    h.append(silence(500 - GUESS_TAIL_MS))
    (respond,) = jobs(h, Respond)
    rid = respond.response_id
    h.take(h.session.replied(rid, Reply(" ".join(ANSWER))))
    h.take(h.session.spoken(rid, ANSWER[0], tone(450)))
    h.take(h.session.spoken(rid, ANSWER[1], tone(300)))
    h.take(h.session.speech_done(rid))
    return h.types()


def test_the_user_going_on_speaking_drops_the_prepared_answer_and_it_is_counted() -> None:
    counts = AnswerCounts()
    h = SessionHarness(answers=counts, **TRANSCRIBED)
    (prepared,) = h.take(h.session.guessed(pause(h), "I'd like to fly to", 0.1)).jobs
    assert isinstance(prepared, Respond)
    resumed = h.append(tone(400))  # "... Lisbon"
    assert resumed.jobs == (Cancel(prepared.response_id),)
    assert counts == AnswerCounts(started=1, used=0, dropped=1)
    # What the dropped job still brings back is ignored, and nothing of it is ever sent.
    late = h.take(h.session.replied(prepared.response_id, Reply("Where to?")))
    assert late == SessionOutcome()
    h.append(silence(GUESS_TAIL_MS))
    came = h.take(h.session.guessed(guess_job(h), "I'd like to fly to Lisbon.", 0.1))
    (second,) = [j for j in came.jobs if isinstance(j, Respond)]
    assert second.request.messages[-1].text == "I'd like to fly to Lisbon."
    h.append(silence(500 - GUESS_TAIL_MS))
    h.take(h.session.replied(second.response_id, Reply("Lisbon it is.")))
    h.take(h.session.spoken(second.response_id, "Lisbon it is.", tone(200)))
    h.take(h.session.speech_done(second.response_id))
    assert h.last("response.done")["response"]["status"] == "completed"
    assert "Where to?" not in json.dumps(h.events)
    assert len(jobs(h, Respond)) == 2 and counts == AnswerCounts(started=2, used=1, dropped=1)
    assert not h.conversation().errors


class RevisingVad(PausingLoudnessVad):
    """A detector that, at the end of the turn, places the end of voicing one frame later
    than it said at the pause: the guess no longer covers the turn, which is transcribed
    afresh, and its final transcript may differ from the guess."""

    def process(self, pcm: bytes) -> list[VadEvent]:
        return [
            SpeechStopped(e.audio_end_ms, e.speech_end_ms + 20)
            if isinstance(e, SpeechStopped)
            else e
            for e in super().process(pcm)
        ]


def _revised_turn(final: str) -> tuple[SessionHarness, AnswerCounts, Respond]:
    counts = AnswerCounts()
    h = SessionHarness(answers=counts, vad=RevisingVad, **TRANSCRIBED)
    (prepared,) = h.take(h.session.guessed(pause(h), QUESTION, 0.1)).jobs
    h.take(h.session.replied(prepared.response_id, Reply("It is noon.")))
    stopped = h.append(silence(500 - GUESS_TAIL_MS))
    assert response_events(stopped) == ["response.created"]  # waits for the transcript
    (item_job,) = [j for j in stopped.jobs if isinstance(j, Transcribe)]
    assert item_job.guess is None
    h.take(h.session.transcribed(item_job.item_id, final))
    return h, counts, prepared


def test_a_final_transcript_that_differs_drops_the_prepared_answer() -> None:
    h, counts, prepared = _revised_turn("What time is it in Tokyo, please?")
    respond = h.job(Respond)
    assert respond is not prepared and respond.request.messages[-1].text.endswith("please?")
    assert Cancel(prepared.response_id) in h.jobs
    assert counts == AnswerCounts(started=1, used=0, dropped=1)
    assert not any(t.startswith("response.output") for t in h.types())  # nothing of it sent


def test_a_final_transcript_that_matches_uses_the_prepared_answer() -> None:
    h, counts, prepared = _revised_turn(QUESTION)
    assert jobs(h, Respond) == [prepared]  # no second responder run
    assert counts == AnswerCounts(started=1, used=1, dropped=0)
    assert h.types()[-3:] == [
        "response.output_item.added",
        "conversation.item.added",
        "response.content_part.added",
    ]


def test_changed_settings_drop_the_prepared_answer_and_prepare_it_again() -> None:
    counts = AnswerCounts()
    h = SessionHarness(answers=counts, **TRANSCRIBED)
    (prepared,) = h.take(h.session.guessed(pause(h), QUESTION, 0.1)).jobs
    update = {"type": "realtime", "instructions": "Be brief."}
    cancel, again = h.send("session.update", session=update).jobs
    assert cancel == Cancel(prepared.response_id)
    assert isinstance(again, Respond) and again.request.instructions == "Be brief."
    h.append(silence(500 - GUESS_TAIL_MS))
    assert jobs(h, Respond) == [prepared, again]  # the second is the response's
    assert counts == AnswerCounts(started=2, used=1, dropped=1)


def test_a_prepared_function_call_goes_out_at_the_end_of_the_turn() -> None:
    counts = AnswerCounts()
    h = SessionHarness(answers=counts, **TRANSCRIBED, tools=TOOLS)
    (prepared,) = h.take(h.session.guessed(pause(h), QUESTION, 0.1)).jobs
    args = json.dumps({"place": "Tokyo"})
    call = Reply(calls=(CallRequest("get_local_time", args),))
    assert h.take(h.session.replied(prepared.response_id, call)) == SessionOutcome()
    stopped = h.append(silence(500 - GUESS_TAIL_MS))
    assert h.types(stopped)[: len(TURN_END)] == TURN_END
    assert response_events(stopped)[1:] == [
        "response.output_item.added",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
        "response.output_item.done",
        "response.done",
    ]
    # The output comes back: its answer is prepared at once, before response.create.
    conv = h.conversation()
    (done,) = [c for c in conv.calls.values() if c.done]
    create, respond = conv.function_output(done.call_id, json.dumps({"time": "14:05"})).events
    came = h.send(create["type"], item=create["item"])
    (answer,) = came.jobs
    assert (
        isinstance(answer, Respond) and answer.request.messages[-1].type == "function_call_output"
    )
    created = h.send(respond["type"])
    assert h.types(created) == ["response.created"] and created.jobs == ()  # adopted, not rerun
    h.take(h.session.replied(answer.response_id, Reply("It is 14:05 in Tokyo.")))
    assert h.job(Speak) == Speak(answer.response_id, "It is 14:05 in Tokyo.", "alloy", 1.0)
    h.take(h.session.spoken(answer.response_id, "It is 14:05 in Tokyo.", tone(300)))
    h.take(h.session.speech_done(answer.response_id))
    assert h.last("response.done")["response"]["status"] == "completed"
    assert counts == AnswerCounts(started=2, used=2, dropped=0)
    assert not h.conversation().errors


def test_a_streamed_prepared_answer_is_replayed_in_order() -> None:
    h = SessionHarness(answers=AnswerCounts(), **TRANSCRIBED)
    (prepared,) = h.take(h.session.guessed(pause(h), QUESTION, 0.1)).jobs
    key = prepared.response_id
    for sentence in ANSWER:  # a language model's sentences, synthesised as they came
        h.take(h.session.spoken(key, sentence, tone(200)))
    stopped = h.append(silence(500 - GUESS_TAIL_MS))
    assert response_events(stopped)[-1] == "response.output_audio.delta"  # still generating
    finished = h.take(h.session.replied(key, Reply()))
    assert response_events(finished)[-1] == "response.done"
    assert h.last("response.done")["response"]["status"] == "completed"
    text = h.last("response.output_audio_transcript.done")["transcript"]
    assert text == " ".join(ANSWER) and len(jobs(h, Respond)) == 1


def test_nothing_is_prepared_when_the_client_answers_turns_itself() -> None:
    counts = AnswerCounts()
    manual = {
        **TRANSCRIBED,
        "audio": {
            "input": {
                "transcription": {"model": "whisper-1"},
                "turn_detection": {"type": "server_vad", "create_response": False},
            }
        },
    }
    h = SessionHarness(answers=counts, **manual)
    came = h.take(h.session.guessed(pause(h), QUESTION, 0.1))
    assert not came.jobs and counts == AnswerCounts()

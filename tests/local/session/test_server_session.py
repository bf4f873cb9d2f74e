"""The local engine's sans-I/O session as a whole: client events in, server events and jobs out.

No models, sockets or threads (``tests.support.session``): the VAD is a fake that hears any
non-zero sample, jobs are answered by hand, and what the session sends is replayed through the
client's own ``Conversation`` to check that a client can read it. The tests of each side of the
session sit beside this one, one module each.
"""

from __future__ import annotations

import base64

import pytest

from realtime.local.session.jobs import Respond, Speak, Transcribe
from realtime.local.stages.responders.responder import Reply
from realtime.protocol.pcm import bytes_for_ms
from tests.support.session import TRANSCRIBED, SessionHarness, error_of, silence, tone


def test_malformed_events_become_errors_and_the_session_goes_on() -> None:
    h = SessionHarness()
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


def test_bad_base64_audio_is_refused() -> None:
    h = SessionHarness()
    error = error_of(h.send("input_audio_buffer.append", audio="not base64!"))
    assert (error["code"], error["param"]) == ("invalid_value", "audio")
    odd = error_of(h.send("input_audio_buffer.append", audio=base64.b64encode(b"abc").decode()))
    assert odd["param"] == "audio"


def test_a_spoken_turn_follows_the_protocol_sequence() -> None:
    h = SessionHarness(**TRANSCRIBED)
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

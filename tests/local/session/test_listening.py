"""The listening side of a session (``realtime.local.session.listening``): input buffer, turns,
user items, transcription bookkeeping.

The first tests drive a ``Listener`` alone; the rest drive a whole session with a fake detector
and jobs answered by hand (``tests.support.session``).
"""

from __future__ import annotations

import base64
from typing import Any

import pytest

from realtime.local.limits import MAX_TRANSCRIBING_ITEMS, MAX_TRANSCRIBING_MS
from realtime.local.session.history import History
from realtime.local.session.input_audio import default_vad
from realtime.local.session.jobs import Outbox, Respond, SessionOutcome, Transcribe
from realtime.local.session.listening import BACKLOG, Listener
from realtime.local.session.wire import InvalidRequest
from realtime.protocol.facts import MIN_COMMIT_MS
from realtime.protocol.pcm import bytes_for_ms
from tests.support.session import TRANSCRIBED, SessionHarness, error_of, silence, tone

TRANSCRIPTION = {"model": "whisper-1", "language": "en", "prompt": "travel"}


def manual() -> tuple[Listener, Outbox, History]:
    out, history = Outbox(), History()
    listener = Listener(out, history, default_vad)
    listener.configure(None)  # manual commits: no detector
    return listener, out, history


def types(outcome: SessionOutcome) -> list[str]:
    return [e["type"] for e in outcome.events]


def event(outcome: SessionOutcome, kind: str) -> dict[str, Any]:
    return next(e for e in outcome.events if e["type"] == kind)


def test_a_commit_shorter_than_the_minimum_is_refused_and_keeps_the_audio() -> None:
    listener, out, history = manual()
    listener.append(bytes(bytes_for_ms(MIN_COMMIT_MS - 10)))
    with pytest.raises(InvalidRequest) as refused:
        listener.commit(None)
    assert refused.value.code == "input_audio_buffer_commit_empty"
    assert f"at least {MIN_COMMIT_MS}ms" in str(refused.value)
    listener.append(bytes(bytes_for_ms(10)))
    listener.commit(None)  # now exactly the minimum
    assert len(history) == 1


def test_a_commit_becomes_a_user_item_and_a_transcribe_job() -> None:
    listener, out, history = manual()
    pcm = bytes(bytes_for_ms(300))
    listener.append(pcm)
    listener.commit(TRANSCRIPTION)
    outcome = out.take()
    assert types(outcome) == [
        "input_audio_buffer.committed",
        "conversation.item.added",
        "conversation.item.done",
    ]
    (item,) = history.ordered()
    assert event(outcome, "input_audio_buffer.committed")["item_id"] == item.id
    assert outcome.jobs == (Transcribe(item.id, pcm, "en", "travel"),)
    assert listener.transcribing


def test_transcripts_are_kept_always_and_reported_only_when_configured() -> None:
    for transcription, reported in ((TRANSCRIPTION, True), (None, False)):
        listener, out, history = manual()
        listener.append(bytes(bytes_for_ms(500)))
        listener.commit(transcription)
        out.take()
        item_id = history.ordered()[0].id
        listener.transcribed(item_id, "What time is it?")
        outcome = out.take()
        assert not listener.transcribing
        assert history.get(item_id).content[0].transcript == "What time is it?"
        kind = "conversation.item.input_audio_transcription.completed"
        assert (kind in types(outcome)) is reported
        if reported:
            completed = event(outcome, kind)
            assert completed["usage"] == {"type": "duration", "seconds": 0.5}


def test_a_failed_transcription_is_reported_only_when_configured() -> None:
    for transcription, reported in ((TRANSCRIPTION, True), (None, False)):
        listener, out, history = manual()
        listener.append(bytes(bytes_for_ms(200)))
        listener.commit(transcription)
        out.take()
        listener.transcription_failed(history.ordered()[0].id, "no model")
        outcome = out.take()
        assert not listener.transcribing
        failed = [e for e in outcome.events if e["type"].endswith("transcription.failed")]
        assert len(failed) == int(reported)
        if reported:
            assert failed[0]["error"]["message"] == "no model"


def test_a_vad_turn_takes_the_audio_between_start_and_end_under_the_speech_item_id() -> None:
    listener, out, history = manual()
    listener.append(bytes(bytes_for_ms(1000)))
    listener.speech_started(200)
    listener.speech_stopped(700, None)
    outcome = out.take()
    assert types(outcome)[:3] == [
        "input_audio_buffer.speech_started",
        "input_audio_buffer.speech_stopped",
        "input_audio_buffer.committed",
    ]
    started = event(outcome, "input_audio_buffer.speech_started")
    stopped = event(outcome, "input_audio_buffer.speech_stopped")
    assert (started["audio_start_ms"], stopped["audio_end_ms"]) == (200, 700)
    (item,) = history.ordered()
    assert item.id == started["item_id"] == stopped["item_id"]
    assert len(item.content[0].audio) == bytes_for_ms(500)


def test_clear_empties_the_buffer_and_forgets_the_speech() -> None:
    listener, out, history = manual()
    listener.append(bytes(bytes_for_ms(500)))
    listener.speech_started(100)
    listener.clear()
    outcome = out.take()
    assert types(outcome)[-1] == "input_audio_buffer.cleared"
    speech_id = event(outcome, "input_audio_buffer.speech_started")["item_id"]
    with pytest.raises(InvalidRequest):
        listener.commit(None)
    listener.append(bytes(bytes_for_ms(200)))
    listener.commit(None)
    assert history.ordered()[0].id != speech_id  # the cleared speech's item is never made


# ---- through a session ------------------------------------------------------------------
@pytest.mark.parametrize("ms", [0, 40, 99])
def test_commit_of_less_than_100_ms_is_refused(ms: int) -> None:
    h = SessionHarness(type="realtime", audio={"input": {"turn_detection": None}})
    if ms:
        h.append(tone(ms))
    error = error_of(h.send("input_audio_buffer.commit", event_id="c1"))
    assert (error["code"], error["param"], error["event_id"]) == (
        "input_audio_buffer_commit_empty",
        None,
        "c1",
    )


def test_manual_commit_adds_the_user_item_and_transcribes_it() -> None:
    h = SessionHarness(type="realtime", audio={"input": {"turn_detection": None}})
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
    h = SessionHarness(type="realtime", audio={"input": {"turn_detection": None}})
    h.append(tone(300))
    assert h.types(h.send("input_audio_buffer.clear")) == ["input_audio_buffer.cleared"]
    assert (
        error_of(h.send("input_audio_buffer.commit"))["code"] == "input_audio_buffer_commit_empty"
    )


def test_a_failed_transcription_is_reported_and_the_response_still_runs() -> None:
    h = SessionHarness(**TRANSCRIBED)
    h.append(tone(500) + silence(600))
    failed = h.take(h.session.transcription_failed(h.job(Transcribe).item_id, "no model"))
    assert h.types(failed) == ["conversation.item.input_audio_transcription.failed"]
    assert isinstance(failed.jobs[0], Respond)


def test_user_audio_items_are_transcribed_for_the_responder() -> None:
    h = SessionHarness(**TRANSCRIBED)
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


def test_audio_waiting_for_transcription_is_bounded_per_session() -> None:
    # A job holds its audio until it is back, also after the history let it go: a client adding
    # audio items faster than Whisper transcribes them would otherwise hold them all.
    listener, out, history = manual()

    def add(ms: float, transcription: Any = TRANSCRIPTION) -> tuple[str, SessionOutcome]:
        listener.append(bytes(bytes_for_ms(ms)))
        listener.commit(transcription)
        return history.ordered()[-1].id, out.take()

    first, taken = add(MAX_TRANSCRIBING_MS + 60_000)  # longer than the bound: alone, it is taken
    assert [type(j) for j in taken.jobs] == [Transcribe]
    refused_id, refused = add(500)
    assert refused.jobs == ()
    failed = event(refused, "conversation.item.input_audio_transcription.failed")
    assert failed["item_id"] == refused_id and failed["error"]["code"] == BACKLOG
    assert "already waiting" in failed["error"]["message"]
    assert not history.get(refused_id).content[0].transcript  # the item itself is kept
    assert listener.transcribing  # the first is still out
    listener.transcribed(first, "a long story")
    out.take()
    assert not listener.transcribing

    # By count: short items, one past the bound is refused; unreported when not configured.
    for _ in range(MAX_TRANSCRIBING_ITEMS):
        assert add(100)[1].jobs
    quiet_id, quiet = add(100, None)
    assert quiet.jobs == () and types(quiet)[-1] == "conversation.item.done"
    assert quiet_id not in {j.item_id for j in quiet.jobs if isinstance(j, Transcribe)}
    # Each one back makes room for one more.
    listener.transcription_failed(history.ordered()[2].id, "no model")  # one of the 32
    out.take()
    assert add(100)[1].jobs
    assert not add(100)[1].jobs

"""What one response sends (``realtime.local.session.response_run``): text-only output, an
out-of-band response, the token limit; driven through a session (``tests.support.session``)."""

from __future__ import annotations

from realtime.local.session.jobs import Cancel, Respond
from realtime.local.stages.responders.responder import Reply
from tests.support.session import SessionHarness, tone


def test_text_only_responses_stream_text_and_no_audio() -> None:
    h = SessionHarness(type="realtime", output_modalities=["text"])
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


def test_out_of_band_response_stays_out_of_the_conversation() -> None:
    h = SessionHarness(type="realtime", output_modalities=["text"])
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


def test_max_output_tokens_ends_the_response_incomplete() -> None:
    h = SessionHarness(type="realtime", max_output_tokens=5)
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
    h = SessionHarness(type="realtime", max_output_tokens=8)
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
    h = SessionHarness(type="realtime", output_modalities=["text"], max_output_tokens=3)
    h.text_turn("Hello")
    rid = h.job(Respond).response_id
    outcome = h.take(h.session.replied(rid, Reply("Hello there, this is a long sentence.")))
    response = outcome.events[-1]["response"]
    assert response["status"] == "incomplete"
    assert response["status_details"] == {"type": "incomplete", "reason": "max_output_tokens"}
    assert response["output"][0]["content"][0]["text"] == "Hello there,"
    assert response["usage"]["output_tokens"] == 3

"""The beta edge (``realtime.local.session.beta``): the same session spelled for a beta client."""

from __future__ import annotations

from realtime.local.session.beta import beta_event
from realtime.protocol.facts import ApiVersion
from tests.support.session import SessionHarness


def test_beta_edge_renames_events_and_content_types() -> None:
    h = SessionHarness(ApiVersion.BETA)
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
        h = SessionHarness(version)
        h.text_turn("Hello")
        h.speak("Hi there.", "How can I help?")
        conv = h.conversation(version)
        assert not conv.errors and not conv.unknown_events
        summaries.append([(i.role, i.text, i.status) for i in conv.ordered_items()])
    assert summaries[0] == summaries[1]

"""The conversation history (``realtime.local.session.history``): bounded audio, all transcripts."""

from __future__ import annotations

from realtime.local.session.history import History
from realtime.local.session.items import ItemRecord, Part


def test_history_keeps_bounded_audio_and_every_transcript() -> None:
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


def test_history_forgets_the_oldest_items_past_its_text_budget() -> None:
    history = History(max_content_chars=1000)
    for n in range(5):  # 400 characters each: three do not fit
        history.insert(ItemRecord(f"i{n}", role="user", content=(Part("input_text", "x" * 400),)))
    assert [item.id for item in history.ordered()] == ["i3", "i4"]
    assert history.content_chars() == 800
    history.insert(ItemRecord("big", role="user", content=(Part("input_text", "y" * 5000),)))
    assert [item.id for item in history.ordered()] == ["big"]  # the newest stays, whole


def test_history_keeps_at_most_max_items_and_an_item_put_first() -> None:
    history = History(max_items=3)
    for n in range(5):
        history.insert(ItemRecord(f"i{n}", role="user", content=(Part("input_text", "hi"),)))
    assert [item.id for item in history.ordered()] == ["i2", "i3", "i4"]
    history.insert(ItemRecord("first", role="user"), previous_item_id="root")
    assert [item.id for item in history.ordered()] == ["first", "i3", "i4"]
    history.delete("i3")
    assert len(history) == 2 and history.content_chars() == 2


def test_history_totals_follow_replaced_items() -> None:
    history = History(max_audio_bytes=48_000)
    part = Part("input_audio", audio=bytes(40_000))
    history.insert(ItemRecord("a", role="user", content=(part,)))
    history.insert(ItemRecord("b", role="user", content=(part,)))  # over: "a" loses its audio
    assert history.audio_bytes() == 40_000
    history.replace(ItemRecord("b", role="user", content=(Part("input_audio", transcript="ok"),)))
    assert (history.audio_bytes(), history.content_chars()) == (0, 2)


def test_history_keeps_images_under_a_budget_of_their_own() -> None:
    history = History(max_content_chars=100, max_image_chars=1000)
    photo = Part("input_image", image_url="data:image/png;base64," + "A" * 600)
    history.insert(ItemRecord("photo", role="user", content=(photo,)))
    history.insert(ItemRecord("answer", role="assistant", content=(Part("output_text", "ok"),)))
    assert len(history) == 2  # text and images are counted apart: the photo stays
    history.insert(ItemRecord("photo2", role="user", content=(photo,)))
    assert [item.id for item in history.ordered()] == ["answer", "photo2"]

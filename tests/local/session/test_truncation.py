"""What a response reads under the session's truncation: the cut, its hysteresis, its limits."""

from __future__ import annotations

from realtime.local.session.items import ItemRecord, Part
from realtime.local.session.truncation import CONTEXT_TOKENS, item_tokens, kept, token_budget
from realtime.protocol.pcm import bytes_for_ms


def text(index: int, tokens: int = 10) -> ItemRecord:
    part = Part("input_text", text="x" * 4 * tokens)
    return ItemRecord(f"i{index}", role="user", content=(part,))


def ratio(retention: float, limit: int | None = None) -> dict[str, object]:
    out: dict[str, object] = {"type": "retention_ratio", "retention_ratio": retention}
    if limit is not None:
        out["token_limits"] = {"post_instructions": limit}
    return out


def ids(items: tuple[ItemRecord, ...]) -> list[str]:
    return [i.id for i in items]


def test_tokens_are_the_usage_units_audio_before_text() -> None:
    assert item_tokens(text(0, 7)) == 7
    spoken = ItemRecord(
        "a",
        role="user",
        content=(Part("input_audio", transcript="x" * 400, audio=bytes(bytes_for_ms(1500))),),
    )
    assert item_tokens(spoken) == 15  # 100 ms a token; the transcript is not counted again


def test_auto_and_disabled_keep_a_conversation_under_the_context() -> None:
    items = [text(i) for i in range(50)]
    assert kept(items, "auto") == tuple(items)
    assert kept(items, "disabled") == tuple(items)
    assert token_budget("auto") == (CONTEXT_TOKENS, CONTEXT_TOKENS)
    assert token_budget("disabled") is None


def test_auto_drops_just_enough_of_the_oldest_past_the_context() -> None:
    big = CONTEXT_TOKENS // 4
    items = [text(i, big) for i in range(6)]
    assert ids(kept(items, "auto")) == ["i2", "i3", "i4", "i5"]
    assert ids(kept(items, "disabled")) == [f"i{i}" for i in range(6)]


def test_a_retention_ratio_cuts_to_its_share_and_then_holds_the_cut() -> None:
    policy = ratio(0.5, limit=100)
    seen = [ids(kept([text(i) for i in range(n)], policy)) for n in range(1, 16)]
    # up to 100 tokens nothing goes; the 11th item passes it: cut to 50 tokens (5 items)
    assert seen[9] == [f"i{i}" for i in range(10)]
    assert seen[10] == [f"i{i}" for i in range(6, 11)]
    # the cut then stays where it is while the conversation fills up again (a stable start)
    assert seen[14] == [f"i{i}" for i in range(6, 15)]
    assert all(s[0] == "i6" for s in seen[10:15])
    # and what a response reads never passes the limit
    assert all(len(s) * 10 <= 100 for s in seen)


def test_without_token_limits_the_ratio_applies_to_the_context() -> None:
    assert token_budget(ratio(0.8)) == (CONTEXT_TOKENS, int(CONTEXT_TOKENS * 0.8))
    assert token_budget(ratio(0.5, limit=10**9)) == (CONTEXT_TOKENS, CONTEXT_TOKENS // 2)


def test_the_newest_item_is_never_dropped_even_alone_over_the_limit() -> None:
    items = [text(0), text(1, 500)]
    assert ids(kept(items, ratio(0.0, limit=100))) == ["i1"]


def test_a_call_output_is_not_kept_without_its_call() -> None:
    call = ItemRecord("c", type="function_call", call_id="call_1", name="f", arguments="x" * 40)
    output = ItemRecord("o", type="function_call_output", call_id="call_1", output="x" * 40)
    items = [text(0, 5), call, output, text(1, 10), text(2, 10)]
    # 45 tokens pass the limit of 40: cut to 30, which would begin at the orphan output
    assert ids(kept(items, ratio(0.75, limit=40))) == ["i1", "i2"]
    assert ids(kept(items, ratio(1.0, limit=45))) == ["i0", "c", "o", "i1", "i2"]

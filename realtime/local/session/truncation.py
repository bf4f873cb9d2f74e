"""What a response reads of the conversation under the session's ``truncation``.

Pure; used by the responding side (``realtime.local.session.responding``) and the answers
prepared ahead (``realtime.local.session.prepared``), so both read the same items. Tokens are
the engine's usage units (``realtime.local.session.response_run``: 4 characters of text, or
100 ms of audio, a token), counted after the instructions, as the hosted API counts them:

* ``"auto"``: past :data:`CONTEXT_TOKENS`, the oldest items go until the rest fits;
* ``"disabled"``: nothing goes (the history's own bounds, ``realtime.local.session.history``,
  keep a session's memory bounded; the engine has no context to overflow);
* ``{"type": "retention_ratio", "retention_ratio": r, "token_limits": {"post_instructions":
  n}}``: once the conversation passes ``n`` tokens (:data:`CONTEXT_TOKENS` without a limit),
  the oldest items go until at most ``r`` of the limit is left, and the cut then stays where it
  is until the conversation fills up again: what each response reads (and pays for) levels
  off instead of growing with every turn, and between cuts its beginning does not move.

The cut is worked out from the items alone, replaying the conversation's growth item by item
(no state to keep in step); it never drops the newest item, and never leaves a function call's
output without its call.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from realtime.local.session.items import ItemRecord, item_text
from realtime.local.session.response_run import audio_tokens, text_tokens
from realtime.protocol.pcm import duration_ms

__all__ = ["CONTEXT_TOKENS", "item_tokens", "kept", "token_budget"]

CONTEXT_TOKENS = 32_768
"""The context a response reads at most under ``"auto"`` (the hosted realtime models')."""

Truncation = str | Mapping[str, Any]


def item_tokens(item: ItemRecord) -> int:
    """An item's input tokens: its audio's if it has audio, its text's otherwise."""
    audio = [p.audio for p in item.content if p.type == "input_audio"]
    if audio:
        return sum(audio_tokens(duration_ms(len(a))) for a in audio)
    return text_tokens(item_text(item))


def token_budget(truncation: Truncation) -> tuple[int, int] | None:
    """(the limit that starts a cut, the tokens left after it), or None: never cut."""
    if truncation == "disabled":
        return None
    if not isinstance(truncation, Mapping):
        return CONTEXT_TOKENS, CONTEXT_TOKENS
    limits = truncation.get("token_limits") or {}
    limit = min(int(limits.get("post_instructions") or CONTEXT_TOKENS), CONTEXT_TOKENS)
    ratio = float(truncation.get("retention_ratio", 1.0))
    return limit, int(limit * ratio)


def kept(items: Sequence[ItemRecord], truncation: Truncation) -> tuple[ItemRecord, ...]:
    """The newest part of ``items`` a response reads under ``truncation`` (see the module)."""
    budget = token_budget(truncation)
    if budget is None or not items:
        return tuple(items)
    limit, left = budget
    tokens = [item_tokens(i) for i in items]
    cut = total = 0
    for newest, count in enumerate(tokens):
        total += count
        if total <= limit:
            continue
        while total > left and cut < newest:
            total -= tokens[cut]
            cut += 1
    calls = {i.call_id for i in items[cut:] if i.type == "function_call"}
    while cut < len(items) - 1 and (
        items[cut].type == "function_call_output" and items[cut].call_id not in calls
    ):
        cut += 1
    return tuple(items[cut:])

"""An answer stopped before its end: by a lost connection, or by the user typing over it.

Pure, on the bridge thread, over the ``Conversation`` it owns. The caller says how much of each
item's audio was really heard (``Playback.played_ms``; None when nothing plays audio, so the
screen's text is what the user got).

- :func:`end_cut_response`: the socket closed mid-answer. The old session is gone with its
  response, so nothing will ever finish it: the response ends ``cancelled`` (reason
  ``connection_lost``), its items ``incomplete`` with the text as heard, nothing is left
  active or speaking, and the next turn (or the replay) starts from a clean state.
- :func:`typed_interrupt`: a typed message while the assistant speaks. Truncate the speaking
  item at what was heard, cancel the response if it still runs, and silence its late audio;
  the caller has already cleared the playback and sends the message after these events.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from realtime.client.core.conversation import Conversation
from realtime.client.core.values import Outcome, ResponseState
from realtime.protocol.words import cut_words

__all__ = ["end_cut_response", "typed_interrupt"]

PlayedMs = Callable[[str], float]


def end_cut_response(conv: Conversation, played_ms: PlayedMs | None, *, at: float) -> bool:
    """Close what the lost connection left open; True when an answer was cut."""
    rid = conv.active_response_id
    conv.active_response_id = None
    conv.speaking_item_id = None
    conv.user_speaking = False
    conv.buffered_ms = 0.0  # the server's input buffer went with the session
    conv._pending_start = None
    for item in conv.ordered_items():
        if item.transcribing:  # that transcript will never arrive
            conv._upsert(item.id, transcribing=False)
    if rid is None:
        return False
    conv.silenced.add(rid)
    state = conv.responses.get(rid) or ResponseState(id=rid)
    conv.responses[rid] = replace(state, status="cancelled", status_reason="connection_lost")
    if rid in conv.turns:
        conv.turns[rid] = replace(conv.turns[rid], status="cancelled", done_at=at)
    for item in conv.ordered_items():
        if item.response_id != rid and item.id not in state.item_ids:
            continue
        if item.status != "in_progress":
            continue
        fields: dict[str, Any] = {"status": "incomplete"}
        if item.type == "message" and item.audio_ms > 0 and played_ms is not None:
            heard_ms = min(played_ms(item.id), item.audio_ms)
            heard = cut_words(item.text, heard_ms / item.audio_ms)
            fields.update(text=heard, heard=heard, truncated_at_ms=int(heard_ms))
        conv._upsert(item.id, **fields)
    return True


def typed_interrupt(
    conv: Conversation, played_ms: PlayedMs | None, *, audio_pending: bool
) -> Outcome:
    """Truncate the speaking item at what was heard (when its audio was still playing), then
    cancel the response in progress."""
    rid = conv.active_response_id
    out = Outcome()
    speaking = conv.speaking_item_id
    if speaking is not None and audio_pending:
        heard = played_ms(speaking) if played_ms is not None else conv.items[speaking].audio_ms
        out += conv.truncate(speaking, heard)
        conv.speaking_item_id = None
    if rid is not None:
        conv.silenced.add(rid)
        out += conv.response_cancel()
    return out

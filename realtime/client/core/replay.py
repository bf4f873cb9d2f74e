"""The conversation so far as ``conversation.item.create`` events, for a new server session.

Pure, on the bridge thread: after a reconnect (a drop, a new endpoint, a renewed session) the
new session knows nothing, so right after ``session.update`` the client re-creates the items
the screen shows, oldest first, each with the id it had: user messages as ``input_text`` (typed
text or the transcript of spoken audio), assistant messages as text (GA ``output_text``, beta
``text``) holding only what the user heard, function calls and their outputs. Audio is not
sent again: its transcript carries the meaning at a fraction of the size. Images the user sent
go again (GA only: beta has no image input) while the conversation's ``ImageShelf`` still holds
their bytes.

The replay is bounded by a :class:`ReplayBudget` (items, characters and images; the newest
kept, the oldest left out first: an older message past the image budget goes as its text alone,
or not at all when it had no text). Instructions are not items: ``session.update`` carries
them. An output is never sent without its call (the server refuses it), nor a call without its
output (a tool cut off by the drop never answered). Items are appended in order without
``previous_item_id``: the server applies events in order, and a chain would make one refused
item refuse all later.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from realtime.client.core.values import AttachedImage, Item
from realtime.protocol.events import Event, client_event
from realtime.protocol.facts import ApiVersion
from realtime.protocol.words import cut_words

__all__ = ["Replay", "ReplayBudget", "build_replay", "heard_text", "replay_item"]


@dataclass(frozen=True)
class ReplayBudget:
    """At most ``max_items`` items, ``max_chars`` characters of text and ``max_images``
    images (about 4 MB of base64 at 512 KB each) are carried over."""

    max_items: int = 200
    max_chars: int = 40_000
    max_images: int = 8


@dataclass(frozen=True)
class Replay:
    """The events to send and what they carry: ``item_ids`` in order, ``left_out`` the older
    items the budget dropped, ``images_left_out`` the images it dropped from items carried."""

    events: tuple[Event, ...] = ()
    item_ids: tuple[str, ...] = ()
    left_out: int = 0
    images_left_out: int = 0

    @property
    def notice(self) -> str:
        """The one line the page shows after the reconnect."""
        count = len(self.item_ids)
        text = f"Reconnected: {count} earlier item{'s' if count != 1 else ''} carried over"
        if self.left_out:
            older = "one" if self.left_out == 1 else "ones"
            text += f" ({self.left_out} older {older} left out)"
        if self.images_left_out:
            many = self.images_left_out != 1
            text += f"; {self.images_left_out} older image{'s' if many else ''} not sent again"
        return text


def heard_text(item: Item) -> str:
    """What the user heard of an assistant message: all of it unless its audio was cut."""
    if item.heard is not None:
        return item.heard
    if item.truncated_at_ms is not None and item.audio_ms > 0:
        return cut_words(item.text, item.truncated_at_ms / item.audio_ms)
    return item.text


def replay_item(
    item: Item, version: ApiVersion, images: Sequence[AttachedImage] = ()
) -> dict[str, Any] | None:
    """The wire item re-creating ``item`` in ``version``'s shape, with ``images`` (its bytes,
    from the ``ImageShelf``) as GA ``input_image`` parts; None when nothing to carry (audio
    never transcribed, an answer cut before a word was heard)."""
    if item.type == "function_call":
        if not item.call_id or not item.name:
            return None
        return {
            "id": item.id,
            "type": "function_call",
            "call_id": item.call_id,
            "name": item.name,
            "arguments": item.text or "{}",
        }
    if item.type == "function_call_output":
        if not item.call_id:
            return None
        return {
            "id": item.id,
            "type": "function_call_output",
            "call_id": item.call_id,
            "output": item.text,
        }
    if item.type != "message" or item.role not in ("user", "assistant", "system"):
        return None
    if item.role == "assistant":
        text = heard_text(item).strip()
        kind = "output_text" if version is ApiVersion.GA else "text"
    else:
        text, kind = item.text.strip(), "input_text"
    content = [{"type": kind, "text": text}] if text else []
    if item.role == "user" and version is ApiVersion.GA:
        content += [image.part() for image in images]
    if not content:
        return None
    return {"id": item.id, "type": "message", "role": item.role, "content": content}


def build_replay(
    items: Sequence[Item],
    version: ApiVersion,
    budget: ReplayBudget | None = None,
    *,
    images: Mapping[str, Sequence[AttachedImage]] | None = None,
) -> Replay:
    """The replay of ``items`` (in conversation order) within ``budget``; ``images`` holds
    the bytes of the images sent, by item id."""
    budget = budget or ReplayBudget()
    images = images or {}
    wires = [
        w for w in (replay_item(i, version, images.get(i.id, ())) for i in items) if w is not None
    ]
    answered = {w["call_id"] for w in wires if w["type"] == "function_call_output"}
    wires = [w for w in wires if w["type"] != "function_call" or w["call_id"] in answered]
    kept: list[dict[str, Any]] = []
    chars = pictures = dropped = 0
    for wire in reversed(wires):
        size = _chars(wire)
        if len(kept) >= budget.max_items or chars + size > budget.max_chars:
            break
        wire, lost = _within_images(wire, budget.max_images - pictures)
        if wire is None:
            continue  # an image alone, past the budget: one of the items left out
        dropped += lost
        kept.append(wire)
        chars += size
        pictures += _images(wire)
    kept.reverse()
    calls = {w["call_id"] for w in kept if w["type"] == "function_call"}
    kept = [w for w in kept if w["type"] != "function_call_output" or w["call_id"] in calls]
    events = tuple(client_event("conversation.item.create", item=w) for w in kept)
    return Replay(
        events,
        tuple(w["id"] for w in kept),
        left_out=len(wires) - len(kept),
        images_left_out=dropped,
    )


def _within_images(wire: dict[str, Any], room: int) -> tuple[dict[str, Any] | None, int]:
    """``wire`` with at most ``room`` of its images (the first ones), and how many went; None
    when nothing is left of it."""
    count = _images(wire)
    if count <= max(0, room):
        return wire, 0
    content, seen = [], 0
    for part in wire["content"]:
        if part["type"] == "input_image":
            seen += 1
            if seen > room:
                continue
        content.append(part)
    if not content:
        return None, count
    return {**wire, "content": content}, count - max(0, room)


def _images(wire: dict[str, Any]) -> int:
    if wire["type"] != "message":
        return 0
    return sum(1 for part in wire["content"] if part["type"] == "input_image")


def _chars(wire: dict[str, Any]) -> int:
    if wire["type"] == "function_call":
        return len(wire["name"]) + len(wire["arguments"])
    if wire["type"] == "function_call_output":
        return len(wire["output"])
    return sum(len(part.get("text", "")) for part in wire["content"])

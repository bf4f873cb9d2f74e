"""The conversation of one local-engine session: items in order, by id.

Pure; owned by the session state machine on the server's event loop. ``previous_item_id``
follows the hosted API: None appends, ``"root"`` puts an item first, an id puts it after that
item.
"""

from __future__ import annotations

import dataclasses

from realtime.local.session.items import ItemRecord
from realtime.local.session.wire import InvalidRequest
from realtime.protocol.pcm import bytes_for_ms

__all__ = ["History"]


MAX_AUDIO_BYTES = bytes_for_ms(10 * 60 * 1000)  # ten minutes of audio, both sides together


class History:
    """Items in order; the audio they hold is bounded (``max_audio_bytes``): past it, the oldest
    items keep their transcripts and lose their audio, so a long session has bounded memory."""

    def __init__(self, *, max_audio_bytes: int = MAX_AUDIO_BYTES) -> None:
        self._items: dict[str, ItemRecord] = {}
        self._order: list[str] = []
        self._max_audio = max_audio_bytes

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._items

    def __len__(self) -> int:
        return len(self._order)

    def get(self, item_id: str, param: str = "item_id") -> ItemRecord:
        """The item, or ``InvalidRequest`` naming ``param`` as the hosted API does."""
        item = self._items.get(item_id)
        if item is None:
            raise InvalidRequest.value(param, f"Item with item_id '{item_id}' not found.")
        return item

    def ordered(self) -> tuple[ItemRecord, ...]:
        return tuple(self._items[i] for i in self._order)

    @property
    def last_id(self) -> str | None:
        return self._order[-1] if self._order else None

    def check_previous(self, previous_item_id: str | None) -> None:
        if previous_item_id not in (None, "root") and previous_item_id not in self._items:
            raise InvalidRequest.value(
                "previous_item_id", f"Previous item with id '{previous_item_id}' not found."
            )

    def insert(self, item: ItemRecord, previous_item_id: str | None = None) -> str | None:
        """Add ``item``; returns the id of the item now before it (None if it is first)."""
        if item.id in self._items:
            raise InvalidRequest.value("item.id", f"Item with id '{item.id}' already exists.")
        self.check_previous(previous_item_id)
        if previous_item_id is None:
            index = len(self._order)
        elif previous_item_id == "root":
            index = 0
        else:
            index = self._order.index(previous_item_id) + 1
        self._order.insert(index, item.id)
        self._items[item.id] = item
        self._bound_audio()
        return self._order[index - 1] if index > 0 else None

    def replace(self, item: ItemRecord) -> None:
        """Store a changed item under its id; a deleted item stays deleted."""
        if item.id in self._items:
            self._items[item.id] = item
            self._bound_audio()

    def delete(self, item_id: str) -> None:
        self.get(item_id)
        del self._items[item_id]
        self._order.remove(item_id)

    def audio_bytes(self) -> int:
        return sum(len(p.audio) for i in self._items.values() for p in i.content)

    def _bound_audio(self) -> None:
        excess = self.audio_bytes() - self._max_audio
        for item_id in self._order[:-1]:  # the newest item keeps its audio (it may be playing)
            if excess <= 0:
                return
            item = self._items[item_id]
            held = sum(len(p.audio) for p in item.content)
            if held:
                parts = tuple(dataclasses.replace(p, audio=b"") for p in item.content)
                self._items[item_id] = item.replace(content=parts)
                excess -= held

    def has_call(self, call_id: str) -> bool:
        return any(i.type == "function_call" and i.call_id == call_id for i in self._items.values())

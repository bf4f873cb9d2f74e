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


# Both sides together. What one session holds is bounded (``realtime.local.limits``): with the
# frames in flight, the echoes waiting and a model's work, within about 64 MB.
MAX_AUDIO_BYTES = bytes_for_ms(3 * 60 * 1000)  # three minutes of audio: 8.6 MB
MAX_CONTENT_CHARS = 4 * 2**20  # text, transcripts, arguments, outputs
MAX_IMAGE_CHARS = 14 * 2**20  # images' data URIs: one of the largest (10 MB, base64) at least
MAX_ITEMS = 2048


def _sizes(item: ItemRecord) -> tuple[int, int, int]:
    """(audio bytes, characters of text, characters of images' data URIs) an item holds."""
    audio = sum(len(p.audio) for p in item.content)
    chars = sum(len(p.text or "") + len(p.transcript or "") for p in item.content)
    images = sum(len(p.image_url or "") for p in item.content)
    return audio, chars + len(item.arguments) + len(item.output) + len(item.name), images


class History:
    """Items in order, bounded four ways, oldest first and never the newest item (it may be
    playing, or be the turn a response is made from): past ``max_audio_bytes`` of audio the
    oldest items keep their transcripts and lose their audio; past ``max_content_chars`` of
    text, ``max_image_chars`` of images or ``max_items``, the oldest items are forgotten, as
    the hosted API truncates a long conversation. A session of any length holds bounded
    memory."""

    def __init__(
        self,
        *,
        max_audio_bytes: int = MAX_AUDIO_BYTES,
        max_content_chars: int = MAX_CONTENT_CHARS,
        max_image_chars: int = MAX_IMAGE_CHARS,
        max_items: int = MAX_ITEMS,
    ) -> None:
        self._items: dict[str, ItemRecord] = {}
        self._order: list[str] = []
        self._max_audio = max_audio_bytes
        self._max_chars = max_content_chars
        self._max_images = max_image_chars
        self._max_items = max_items
        self._audio = 0  # running totals of _sizes over the items held
        self._chars = 0
        self._images = 0

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
        self._store(item)
        self._bound(item.id)
        index = self._order.index(item.id)  # older items may have been forgotten
        return self._order[index - 1] if index > 0 else None

    def replace(self, item: ItemRecord) -> None:
        """Store a changed item under its id; a deleted item stays deleted."""
        if item.id in self._items:
            self._store(item)
            self._bound(item.id)

    def delete(self, item_id: str) -> None:
        self.get(item_id)
        self._forget(item_id)
        self._order.remove(item_id)

    def audio_bytes(self) -> int:
        return self._audio

    def content_chars(self) -> int:
        return self._chars

    def _store(self, item: ItemRecord) -> None:
        old = self._items.get(item.id)
        if old is not None:
            self._count(old, -1)
        self._items[item.id] = item
        self._count(item, 1)

    def _forget(self, item_id: str) -> None:
        self._count(self._items.pop(item_id), -1)

    def _count(self, item: ItemRecord, sign: int) -> None:
        audio, chars, images = _sizes(item)
        self._audio += sign * audio
        self._chars += sign * chars
        self._images += sign * images

    def _bound(self, stored: str) -> None:
        """Bring the totals within bounds; ``stored`` (just stored) and the newest stay whole."""
        keep = {stored, self._order[-1]}
        over = len(self._order) - self._max_items
        for item_id in [i for i in self._order if i not in keep]:
            if over <= 0 and self._chars <= self._max_chars and self._images <= self._max_images:
                break
            self._forget(item_id)
            self._order.remove(item_id)  # rare: only past a bound, and the oldest come first
            over -= 1
        for item_id in self._order:
            if self._audio <= self._max_audio:
                return
            item = self._items[item_id]
            if item_id not in keep and any(p.audio for p in item.content):
                parts = tuple(dataclasses.replace(p, audio=b"") for p in item.content)
                self._store(item.replace(content=parts))

    def has_call(self, call_id: str) -> bool:
        return any(i.type == "function_call" and i.call_id == call_id for i in self._items.values())

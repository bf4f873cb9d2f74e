"""The bytes of the images the user sent, kept apart from the conversation's items.

Pure, owned by the conversation's thread (the bridge's). Items are frozen values copied into
every snapshot, hashed by the page's caches and written into exports, so they carry only an
image's type and size (``ImageInfo``); the bytes live here, by item id, for the transcript's
thumbnails and for the replay after a reconnect. Bounded: the newest :data:`MAX_KEPT_IMAGES`
images (about 8 MB at most: each is at most 512 KB plus its thumbnail); an older message keeps
its description, and loses its thumbnail and its place in a replay.
"""

from __future__ import annotations

import collections
from collections.abc import Mapping, Sequence

from realtime.client.core.values import AttachedImage

__all__ = ["MAX_KEPT_IMAGES", "ImageShelf"]

MAX_KEPT_IMAGES = 16


class ImageShelf:
    """Images by item id, newest last, at most ``max_images`` in all."""

    def __init__(self, max_images: int = MAX_KEPT_IMAGES) -> None:
        self._max = max(1, max_images)
        self._items: collections.OrderedDict[str, tuple[AttachedImage, ...]] = (
            collections.OrderedDict()
        )
        self._count = 0

    def put(self, item_id: str, images: Sequence[AttachedImage]) -> None:
        """Keep ``images`` for ``item_id`` (the newest); the oldest go past the bound."""
        self.discard(item_id)
        kept = tuple(images)[-self._max :]
        if not kept:
            return
        self._items[item_id] = kept
        self._count += len(kept)
        while self._count > self._max:
            _, dropped = self._items.popitem(last=False)
            self._count -= len(dropped)

    def get(self, item_id: str) -> tuple[AttachedImage, ...]:
        return self._items.get(item_id, ())

    def discard(self, item_id: str) -> None:
        self._count -= len(self._items.pop(item_id, ()))

    def view(self) -> Mapping[str, tuple[AttachedImage, ...]]:
        """A copy for a snapshot (the tuples are frozen; only the mapping is new)."""
        return dict(self._items)

    def __len__(self) -> int:
        return self._count

"""The audio of short sentences said again and again, kept so they need not be synthesised again.

An answer's first audio waits for its first sentence's synthesis (0.1 s on an idle 2-core
machine, 0.2-0.3 s beside a browser and the app server). Many first sentences are always the
same: a tool's preamble ("Let me check the time there."), a greeting, the rules' stock answers.
:class:`ClipCache` keeps the clips of short sentences, least recently used first out, within a
byte budget, shared by every session and thread of the process (under a lock). Keys say what
made the clip (the voice's file, the speed, the text), so a clip is reused only where the same
synthesis would run. Pure: no synthesis here; ``realtime.local.stages.tts.piper`` uses it, and
``Engine.warm`` fills it with the stock sentences before the first session.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

__all__ = ["ClipCache"]


class ClipCache:
    """Clips of sentences of at most ``max_chars`` characters, at most ``budget`` bytes in all."""

    def __init__(self, budget: int, *, max_chars: int = 64) -> None:
        self.budget = budget
        self.max_chars = max_chars
        self._clips: OrderedDict[Hashable, bytes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def keeps(self, text: str) -> bool:
        """Whether a sentence is short enough to be kept."""
        return 0 < len(text) <= self.max_chars

    def get(self, key: Hashable) -> bytes | None:
        with self._lock:
            clip = self._clips.get(key)
            if clip is None:
                self.misses += 1
                return None
            self._clips.move_to_end(key)
            self.hits += 1
            return clip

    def put(self, key: Hashable, clip: bytes) -> None:
        """Keep ``clip``; the least recently used go until the budget holds (a clip larger
        than the whole budget is not kept)."""
        if len(clip) > self.budget:
            return
        with self._lock:
            old = self._clips.pop(key, None)
            if old is not None:
                self._bytes -= len(old)
            self._clips[key] = clip
            self._bytes += len(clip)
            while self._bytes > self.budget:
                _, dropped = self._clips.popitem(last=False)
                self._bytes -= len(dropped)

    @property
    def size(self) -> int:
        """Bytes held."""
        with self._lock:
            return self._bytes

    def __len__(self) -> int:
        with self._lock:
            return len(self._clips)

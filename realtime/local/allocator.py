"""Giving freed heap memory back to the system, so the engine's resident size follows its load.

Called from the server (its start, a session's end) and the worker threads (after a large model
call); safe from any thread. glibc keeps freed memory in its arenas: a session that held 100 MB
of audio, or a Whisper pass over a two-minute turn, leaves the process that much larger after
everything is freed, and fragmentation (numpy temporaries, growing buffers) makes it worse with
every session. Two levers, glibc only (a no-op elsewhere, e.g. musl or macOS):

- :func:`configure`: ``mallopt(M_MMAP_THRESHOLD)`` fixed at 256 KiB, so every larger block (an
  audio chunk, a numpy array of samples or features) is its own mapping, unmapped when freed;
  glibc's default raises that threshold as large blocks are freed, up to 32 MiB, after which
  they come from the arenas and stay. ``M_ARENA_MAX`` bounds the arenas the worker threads
  spread the heap over.
- :func:`release`, when a session ends: a garbage collection first (a session's objects are
  held in reference cycles, its runner and the callbacks it gave its helpers; left to the
  collector's own schedule, an idle server would keep a finished session's audio for minutes),
  then :func:`trim`. ``python -m realtime.local`` freezes the objects made while loading the
  models (``gc.freeze``), so that collection only walks what sessions made since.
- :func:`trim`: ``malloc_trim(0)`` returns the free pages of every arena (also from their
  middle, since glibc 2.8). It walks the heap, about a millisecond per 100 MB, so it runs when
  a session ends and after a large model call, at most once per ``_MIN_INTERVAL`` seconds.
"""

from __future__ import annotations

import ctypes
import gc
import logging
import threading
import time

__all__ = ["configure", "release", "trim"]

logger = logging.getLogger(__name__)

_M_MMAP_THRESHOLD = -3  # mallopt parameters, from glibc's malloc.h
_M_ARENA_MAX = -8
MMAP_THRESHOLD = 256 * 1024
ARENA_MAX = 4
_MIN_INTERVAL = 0.5  # seconds between two trims (a burst of ended sessions trims once)

_lock = threading.Lock()
_last_trim = 0.0
_configured = False


def _glibc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version  # noqa: B018 - present only in glibc
        libc.malloc_trim  # noqa: B018
        libc.mallopt  # noqa: B018
    except (OSError, AttributeError):
        return None
    return libc


_libc = _glibc()


def configure() -> bool:
    """Set the thresholds once per process; True when the allocator is glibc's."""
    global _configured
    if _libc is None:
        return False
    with _lock:
        if not _configured:
            ok = _libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
            ok = _libc.mallopt(_M_ARENA_MAX, ARENA_MAX) == 1 and ok
            if not ok:
                logger.info("glibc refused a mallopt setting; freed memory may stay resident")
            _configured = True
    return True


def trim(*, force: bool = False) -> bool:
    """Return free heap pages to the system (glibc); False when skipped or not glibc."""
    global _last_trim
    if _libc is None:
        return False
    with _lock:
        now = time.monotonic()
        if not force and now - _last_trim < _MIN_INTERVAL:
            return False
        _last_trim = now
    _libc.malloc_trim(0)
    return True


def release() -> None:
    """A session ended: collect its cycles, then give the freed pages back."""
    gc.collect()
    trim(force=True)

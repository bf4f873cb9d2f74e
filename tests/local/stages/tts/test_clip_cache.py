"""The clip cache of short sentences (``realtime.local.stages.tts.clip_cache``): least recently
used out within a byte budget, short sentences only, safe across threads."""

from __future__ import annotations

import threading

from realtime.local.stages.tts.clip_cache import ClipCache


def test_the_least_recently_used_go_first_and_the_budget_holds() -> None:
    cache = ClipCache(300)
    for name in ("a", "b", "c"):
        cache.put(name, name.encode() * 100)
    assert cache.get("a") == b"a" * 100  # now the most recently used
    cache.put("d", b"d" * 100)
    assert cache.get("b") is None and cache.get("a") is not None
    assert cache.size == 300 and len(cache) == 3
    cache.put("a", b"A" * 50)  # replaced, counted once
    assert cache.size == 250 and cache.get("a") == b"A" * 50
    assert (cache.hits, cache.misses) == (3, 1)


def test_a_clip_larger_than_the_budget_is_not_kept_and_evicts_nothing() -> None:
    cache = ClipCache(100)
    cache.put("small", b"x" * 60)
    cache.put("huge", b"y" * 101)
    assert cache.get("huge") is None and cache.get("small") == b"x" * 60


def test_only_short_sentences_are_kept() -> None:
    cache = ClipCache(1000, max_chars=10)
    assert cache.keeps("Hello!") and cache.keeps("x" * 10)
    assert not cache.keeps("") and not cache.keeps("x" * 11)


def test_many_threads_keep_the_count_of_bytes_right() -> None:
    cache = ClipCache(10_000)

    def work(n: int) -> None:
        for i in range(500):
            cache.put((n, i % 37), bytes(64 + i % 50))
            cache.get((n, (i * 7) % 37))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    held = sum(len(clip) for clip in cache._clips.values())  # noqa: SLF001 - the clips themselves
    assert cache.size == held <= 10_000

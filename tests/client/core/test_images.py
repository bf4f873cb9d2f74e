"""Attachments checked and scaled before sending: formats by content, the first frame, EXIF
orientation, the side and byte bounds, the bomb and upload caps, one sentence per refusal."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from realtime.client.core.images import (
    MAX_ENCODED_BYTES,
    MAX_SIDE,
    MAX_UPLOAD_BYTES,
    THUMBNAIL_SIDE,
    ImageRefused,
    prepare_image,
)
from realtime.local.session.images import parse_image


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def noise(width: int, height: int, mode: str = "RGB") -> Image.Image:
    channels = len(mode)
    pixels = np.random.default_rng(7).integers(0, 256, (height, width, channels), dtype=np.uint8)
    return Image.fromarray(pixels, mode)


def decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_a_small_screenshot_stays_a_png_of_the_same_size_and_the_engine_takes_it() -> None:
    shot = Image.new("RGB", (320, 200), (250, 250, 250))
    shot.paste((20, 20, 20), (10, 10, 200, 30))  # a line of "text"
    image = prepare_image(encode(shot, "PNG"))
    assert (image.mime, image.width, image.height) == ("image/png", 320, 200)
    assert decoded(image.data).getpixel((50, 20)) == (20, 20, 20)
    assert decoded(image.thumbnail).size == (256, 160)
    # The bundled engine's strict reader (signature, base64, size) accepts the part as sent.
    url, detail = parse_image(image.part(), "item.content[1]")
    assert (url, detail) == (image.data_uri(), "auto")


def test_a_large_photo_is_scaled_to_the_side_and_byte_bounds_as_jpeg() -> None:
    photo = encode(noise(3000, 2000), "JPEG", quality=95)
    assert len(photo) > 3 * 2**20
    image = prepare_image(photo, detail="low")
    assert image.mime == "image/jpeg" and image.detail == "low"
    assert (image.width, image.height) == (MAX_SIDE, 683)
    assert len(image.data) <= MAX_ENCODED_BYTES
    assert decoded(image.data).size == (MAX_SIDE, 683)
    assert max(decoded(image.thumbnail).size) == THUMBNAIL_SIDE


def test_a_lossless_image_too_big_as_png_becomes_a_jpeg_that_fits() -> None:
    image = prepare_image(encode(noise(1000, 800), "PNG"))  # noise: ~2.4 MB as PNG
    assert image.mime == "image/jpeg" and len(image.data) <= MAX_ENCODED_BYTES
    assert (image.width, image.height) == (1000, 800)


def test_transparency_is_kept_as_png_and_flattened_on_white_when_it_must_be_jpeg() -> None:
    clear = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    clear.paste((255, 0, 0, 255), (0, 0, 32, 64))
    kept = prepare_image(encode(clear, "PNG"))
    assert kept.mime == "image/png" and decoded(kept.data).getpixel((60, 10)) == (0, 0, 0, 0)
    big = noise(1024, 1024, "RGBA")
    big.putalpha(Image.new("L", big.size, 0))  # invisible noise: white once flattened
    flat = prepare_image(encode(big, "PNG"))
    assert flat.mime == "image/jpeg"
    assert all(channel > 240 for channel in decoded(flat.data).getpixel((500, 500)))


def test_exif_orientation_is_applied() -> None:
    # Stored 200×100, left half red: orientation 6 shows it turned a quarter clockwise, so
    # the red half ends up on top.
    stored = Image.new("RGB", (200, 100), (0, 0, 255))
    stored.paste((255, 0, 0), (0, 0, 100, 100))
    exif = Image.Exif()
    exif[0x0112] = 6
    image = prepare_image(encode(stored, "JPEG", exif=exif.tobytes(), quality=95))
    assert (image.width, image.height) == (100, 200)
    top, bottom = decoded(image.data).getpixel((50, 20)), decoded(image.data).getpixel((50, 180))
    assert top[0] > 200 > top[2] and bottom[2] > 200 > bottom[0]


@pytest.mark.parametrize("fmt", ["GIF", "WEBP"])
def test_an_animation_sends_its_first_frame(fmt: str) -> None:
    frames = [Image.new("RGB", (40, 30), color) for color in ((255, 0, 0), (0, 0, 255))]
    data = encode(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100, loop=0)
    image = prepare_image(data)
    assert image.mime == ("image/png" if fmt == "GIF" else "image/jpeg")
    red, _, blue = decoded(image.data).convert("RGB").getpixel((20, 15))
    assert red > 200 > blue


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "notes.png is empty."),
        (b"\0" * (MAX_UPLOAD_BYTES + 1), "notes.png is 20.0 MB; images up to 20 MB are accepted."),
        (b"just some text, not a picture", "notes.png is not a PNG, JPEG, WebP or GIF image."),
        (encode(Image.new("RGB", (8, 8)), "BMP"), "notes.png is not a PNG, JPEG, WebP or GIF"),
        (encode(noise(300, 300), "PNG")[:5000], "could not be read as an image: it may be dama"),
        (
            encode(Image.new("L", (8000, 6000)), "PNG"),  # 47 KB that decode to 48 megapixels
            "notes.png is too large to open safely (8000×6000 pixels, 48 megapixels); images "
            "up to 40 megapixels are accepted.",
        ),
        (
            encode(Image.new("1", (12000, 12000)), "PNG"),  # past Pillow's own bomb warning
            "notes.png is too large to open safely (over 80 megapixels)",
        ),
    ],
    ids=["empty", "over 20 MB", "text", "bmp", "truncated", "bomb", "big bomb"],
)
def test_a_bad_file_is_refused_in_one_sentence(data: bytes, words: str) -> None:
    with pytest.raises(ImageRefused) as refused:
        prepare_image(data, "notes.png")
    message = str(refused.value)
    assert words in message
    assert message.count(". ") == 0 and message.endswith(".")  # one sentence

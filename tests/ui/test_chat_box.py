"""The chat box with pictures: through AppTest, a picture typed about on the voice page reaches
the real in-process engine (its honest refusal, the thumbnail in the transcript, the inspector
showing the image as its type and size), a camera snapshot goes on its own, and a file that
cannot go (or a beta session) is refused in one sentence with nothing sent."""

from __future__ import annotations

import io
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from realtime.client.core.conversation import NO_BETA_IMAGES
from realtime.client.core.images import MAX_IMAGES_PER_MESSAGE, MAX_UPLOAD_BYTES
from realtime.local.stages.responders.vision import NO_SIGHT
from realtime.protocol.facts import ApiVersion
from realtime.ui.chat_box import Outgoing, read_message
from realtime.ui.session import BRIDGE_KEY
from tests.support.apptest import APP, open_app, texts
from tests.support.bridge import finished, wait_for

KEYS = ("OPENAI_API_KEY", "AZURE_OPENAI_API_KEY", "REALTIME_API_KEY")


def picture(fmt: str = "PNG", size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (40, 160, 90)).save(out, format=fmt)
    return out.getvalue()


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    yield from open_app(monkeypatch, KEYS, timeout=60)


def test_read_message_prepares_pictures_or_says_why_nothing_goes() -> None:
    message = read_message("  What is it?  ", [("a.png", picture())], ApiVersion.GA)
    assert isinstance(message, Outgoing) and message.text == "What is it?"
    assert [(i.mime, i.width) for i in message.images] == [("image/png", 64)]
    assert read_message("hi", [], ApiVersion.BETA) == Outgoing("hi")  # text alone: fine in beta
    assert read_message("hi", [("a.png", picture())], ApiVersion.BETA) == NO_BETA_IMAGES
    many = [("a.png", picture())] * (MAX_IMAGES_PER_MESSAGE + 1)
    assert read_message("", many, ApiVersion.GA) == (
        "9 pictures were attached and one message takes at most 8, so nothing was sent."
    )
    bad = [("a.png", picture()), ("notes.gif", b"GIF89a, not really")]
    assert read_message("hi", bad, ApiVersion.GA) == (
        "notes.gif is not a PNG, JPEG, WebP or GIF image."
    )


def test_streamlit_refuses_uploads_past_the_image_bound() -> None:
    config = tomllib.loads((Path(APP).parent / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] * 2**20 == MAX_UPLOAD_BYTES


def answered(app: AppTest, count: int = 1) -> None:
    """``count`` answers finished (a message sent over a spoken answer cuts that one short)."""
    wait_for(app.session_state[BRIDGE_KEY], finished(count))
    app.run()
    assert not app.exception


@pytest.mark.engine
def test_a_picture_typed_about_reaches_the_engine_and_shows_as_a_thumbnail(app: AppTest) -> None:
    app.run()
    photo = picture("JPEG", (1600, 1200))
    app.chat_input[0].upload("photo.jpg", photo, "image/jpeg").set_value("What is this?").run()
    answered(app)
    assert NO_SIGHT in texts(app) and "What is this?" in texts(app)
    user = app.get("chat_message")[0]
    assert user.name == "user"
    thumbnails = [c for c in user.children.values() if c.type == "image"]
    assert len(thumbnails) == 1
    assert thumbnails[0].proto.imgs[0].caption.startswith("JPEG image, 1024×768, ")
    snapshot = app.session_state[BRIDGE_KEY].snapshot()
    assert len(snapshot.images[snapshot.items[0].id][0].thumbnail) < 20_000
    # The camera: its photo goes alone with its own button, and is cleared once sent.
    app.toggle(key="rvs.camera_on").set_value(True).run()
    app.camera_input[0].set_value(("shot.jpg", picture("JPEG"), "image/jpeg")).run()
    next(b for b in app.button if b.label == "Send this picture").click().run()
    answered(app, 2)
    items = app.session_state[BRIDGE_KEY].snapshot().items
    assert [len(i.images) for i in items if i.role == "user"] == [1, 1]
    assert items[-1].text == NO_SIGHT
    assert app.camera_input[0].value is None  # a fresh camera for the next picture
    # The inspector shows each image as its type and size, never its bytes.
    app.switch_page("pages/inspector.py").run()
    shown = "\n".join(element.proto.body for element in app.get("json"))
    # Both sent, and the engine's echoes (added, done) of each: all as type and size.
    assert shown.count('"image_url": "<image: image/jpeg, ') == 6
    assert "base64" not in shown


@pytest.mark.engine
def test_an_unreadable_file_is_refused_in_one_sentence_and_nothing_is_sent(app: AppTest) -> None:
    app.run()
    app.chat_input[0].upload("holiday.png", picture(size=(300, 300))[:60], "image/png")
    app.chat_input[0].set_value("Look at my holiday").run()
    assert not app.exception
    errors = [e.value for e in app.error]
    assert errors == ["holiday.png could not be read as an image: it may be damaged or cut short."]
    assert "Not sent: Look at my holiday" in texts(app)
    bridge = app.session_state[BRIDGE_KEY] if BRIDGE_KEY in app.session_state else None
    assert bridge is None or bridge.snapshot().items == ()

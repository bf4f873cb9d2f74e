"""``input_image`` in the local engine: strict checks with hosted error shapes, the honest
answer offline, and the image passed to a vision chat URL (a loopback fake of it)."""

from __future__ import annotations

import base64
import io
from typing import Any

import pytest
from PIL import Image

from realtime.local.engine import Engine
from realtime.local.server import EngineServer
from realtime.local.session import images
from realtime.local.session.jobs import Respond
from realtime.local.stages.responders.factory import make_responder
from realtime.local.stages.responders.rules import RuleBasedResponder
from realtime.local.stages.responders.vision import NO_SIGHT
from realtime.protocol.facts import ApiVersion
from tests.support.chat_server import FakeChatServer
from tests.support.engine_client import QUICK, TEXT_ONLY, open_client
from tests.support.engines import FixedTranscriber, SilentSynthesizer, instant_engine
from tests.support.session import SessionHarness, error_of


def png(size: tuple[int, int] = (8, 6)) -> str:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def message(*parts: dict[str, Any]) -> dict[str, Any]:
    return {"type": "message", "role": "user", "content": list(parts)}


TEXT = {"type": "input_text", "text": "What is in this picture?"}


def image(url: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"type": "input_image", "image_url": url or png(), **extra}


def test_an_image_message_is_kept_and_echoed_with_its_detail() -> None:
    h = SessionHarness()
    h.send("conversation.item.create", item=message(TEXT, image(detail="low")))
    item = h.last("conversation.item.added")["item"]
    assert item["content"][1] == {"type": "input_image", "image_url": png(), "detail": "low"}
    h.send("response.create")
    request = h.job(Respond).request
    assert request.messages[-1].images == (png(),)
    assert request.messages[-1].text == "What is in this picture?"
    assert RuleBasedResponder().respond(request).text == NO_SIGHT


JPEG_AS_PNG = "data:image/png;base64," + base64.b64encode(b"\xff\xd8\xff\xe0rest").decode()


@pytest.mark.parametrize(
    ("part", "param", "words"),
    [
        (image("https://example.com/cat.png"), "image_url", "does not fetch images"),
        (image("data:image/gif;base64,R0lGODlh"), "image_url", "'image/png', 'image/jpeg'"),
        (image("data:image/png;base64,%%%"), "image_url", "does not decode"),
        (image(JPEG_AS_PNG), "image_url", "not a valid image/png"),
        (image(detail="ultra"), "detail", "'ultra'"),
        (image(size="big"), "size", "Unknown parameter"),
        ({"type": "input_image"}, "image_url", "Missing required parameter"),
        ({"type": "input_image", "image_url": 42}, "image_url", "expected a string"),
    ],
)
def test_a_bad_image_part_is_refused_naming_its_field(
    part: dict[str, Any], param: str, words: str
) -> None:
    error = error_of(SessionHarness().send("conversation.item.create", item=message(TEXT, part)))
    assert error["type"] == "invalid_request_error"
    assert error["param"] == f"item.content[1].{param}"
    assert words in error["message"]


def test_an_image_over_the_bound_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(images, "MAX_IMAGE_BYTES", 100)
    error = error_of(
        SessionHarness().send("conversation.item.create", item=message(image(png((64, 64)))))
    )
    assert "Image too large" in error["message"]


def test_beta_has_no_image_parts() -> None:
    h = SessionHarness(ApiVersion.BETA)
    error = error_of(h.send("conversation.item.create", item=message(TEXT, image())))
    assert error["param"] == "item.content[1].type"


def ask(engine: Engine) -> str:
    with EngineServer(engine=engine) as server, open_client(server.realtime_url()) as client:
        client.update(**TEXT_ONLY)
        client.send("conversation.item.create", item=message(TEXT, image()))
        client.send("response.create")
        response = client.until("response.done", QUICK * 2)[-1]["response"]
    assert response["status"] == "completed", response
    return str(response["output"][0]["content"][0]["text"])


def test_offline_the_engine_says_plainly_it_cannot_see() -> None:
    assert ask(instant_engine()) == NO_SIGHT


def test_a_vision_chat_url_gets_the_image_in_the_openai_chat_format() -> None:
    with FakeChatServer("A small red rectangle.") as chat:
        engine = Engine(
            transcriber=FixedTranscriber(),
            responder=make_responder(chat.url),
            synthesizer=lambda voice, speed: SilentSynthesizer(),
        )
        assert ask(engine) == "A small red rectangle."
    (request,) = chat.requests
    assert request["messages"][-1] == {
        "role": "user",
        "content": [
            {"type": "text", "text": "What is in this picture?"},
            {"type": "image_url", "image_url": {"url": png()}},
        ],
    }

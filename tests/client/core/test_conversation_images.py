"""A typed message with images: one GA user message the SDK's models accept, the bytes kept
apart from the items (bounded), a beta session refused in words, the replay within its budget."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openai.types.realtime import (
    ConversationItemCreateEvent,
    RealtimeClientEvent,
    RealtimeConversationItemUserMessage,
)
from PIL import Image
from pydantic import TypeAdapter

from realtime.client.core.conversation import NO_BETA_IMAGES, Conversation
from realtime.client.core.image_shelf import MAX_KEPT_IMAGES, ImageShelf
from realtime.client.core.images import prepare_image
from realtime.client.core.replay import ReplayBudget, build_replay
from realtime.client.core.values import AttachedImage, ImageInfo, Item
from realtime.client.core.wire_items import content_images
from realtime.protocol.errors import ProtocolError
from realtime.protocol.facts import ApiVersion


def picture(color: tuple[int, int, int] = (200, 30, 30), size: tuple[int, int] = (40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG")
    return out.getvalue()


def attached(n: int = 0) -> AttachedImage:
    return prepare_image(picture((n * 10 % 256, 30, 30)))


def echo(conv: Conversation, event: dict[str, Any]) -> None:
    """The server's echo of a created item, as the hosted API (and the engine) sends it."""
    conv.receive({"type": "conversation.item.added", "event_id": "e1", "item": event["item"]})


def test_the_message_validates_against_the_sdk_and_carries_text_then_images() -> None:
    conv = Conversation()
    first, second = attached(1), prepare_image(picture(), detail="high")
    create, response = conv.text_turn("What is this?", images=[first, second]).events
    assert response["type"] == "response.create"
    event = ConversationItemCreateEvent.model_validate(create)
    assert TypeAdapter(RealtimeClientEvent).validate_python(create).type == create["type"]
    item = RealtimeConversationItemUserMessage.model_validate(create["item"])
    assert [part.type for part in item.content] == ["input_text", "input_image", "input_image"]
    assert item.content[1].image_url == first.data_uri()
    assert item.content[1].image_url.startswith("data:image/png;base64,")
    assert [part.detail for part in item.content[1:]] == ["auto", "high"]
    # Nothing the SDK does not know: no key of ours rides along.
    assert event.model_extra == {} and item.model_extra == {}
    assert all(part.model_extra == {} for part in item.content)
    assert create["item"]["id"].startswith("item_")  # ours: the shelf keeps the bytes under it
    assert conv.images.get(create["item"]["id"]) == (first, second)


def test_an_image_alone_is_a_message_too() -> None:
    create = Conversation().text_turn("", images=[attached()]).events[0]
    assert [p["type"] for p in create["item"]["content"]] == ["input_image"]
    RealtimeConversationItemUserMessage.model_validate(create["item"])


def test_a_beta_session_refuses_images_in_words_and_sends_nothing() -> None:
    conv = Conversation()
    with pytest.raises(ProtocolError, match="beta Realtime interface, which takes no images"):
        conv.text_turn("Look", images=[attached()], version=ApiVersion.BETA)
    assert "nothing was sent" in NO_BETA_IMAGES and len(conv.images) == 0
    # Text alone still goes in beta, as before.
    assert conv.text_turn("Look", version=ApiVersion.BETA).events[0]["item"]["content"] == [
        {"type": "input_text", "text": "Look"}
    ]


def test_the_echoed_item_describes_its_images_without_their_bytes() -> None:
    conv = Conversation()
    image = attached()
    create = conv.text_turn("Look", images=[image]).events[0]
    echo(conv, create)
    item = conv.items[create["item"]["id"]]
    assert item.text == "Look"
    assert item.images == (ImageInfo("image/png", len(image.data), 40, 30),)
    assert item.images[0].summary == f"<image: image/png, {len(image.data)} bytes>"
    assert item.images[0].label == "PNG image, 40×30, 1 KB"
    # Another client's image (not on our shelf): described from the data URI's length.
    other = {**create["item"], "id": "item_other"}
    echo(conv, {"item": other})
    assert conv.items["item_other"].images == (ImageInfo("image/png", len(image.data)),)
    conv.receive({"type": "conversation.item.deleted", "event_id": "e2", "item_id": item.id})
    assert conv.images.get(item.id) == ()


def test_content_images_measures_data_uris_and_marks_urls() -> None:
    parts = [
        {"type": "input_text", "text": "hi"},
        {"type": "input_image", "image_url": "data:image/jpeg;base64,AAAA"},
        {"type": "input_image", "image_url": "https://example.com/cat.png"},
    ]
    assert content_images(parts) == (ImageInfo("image/jpeg", 3), ImageInfo("image", 0))


def test_the_shelf_keeps_the_newest_images_only() -> None:
    shelf = ImageShelf()
    images = [attached(n) for n in range(3)]
    for n in range(MAX_KEPT_IMAGES):
        shelf.put(f"item_{n}", images[:1])
    shelf.put("item_new", images)  # three more: the three oldest items go
    assert len(shelf) == MAX_KEPT_IMAGES
    assert shelf.get("item_0") == shelf.get("item_2") == ()
    assert shelf.get("item_3") == tuple(images[:1]) and shelf.get("item_new") == tuple(images)
    assert len(shelf.view()) == MAX_KEPT_IMAGES - 3 + 1
    shelf.discard("item_new")
    assert len(shelf) == MAX_KEPT_IMAGES - 3
    assert len(ImageShelf(max_images=2).view()) == 0
    tiny = ImageShelf(max_images=2)
    tiny.put("item_x", images)  # more than the bound in one message: the last ones
    assert tiny.get("item_x") == tuple(images[1:])


def image_items(count: int) -> tuple[tuple[Item, ...], dict[str, tuple[AttachedImage, ...]]]:
    items, shelf = [], {}
    for n in range(count):
        image = attached(n)
        items.append(Item(f"item_{n}", text=f"picture {n}" if n % 2 else "", status="completed",
                          images=(image.info,)))  # fmt: skip
        shelf[f"item_{n}"] = (image,)
    return tuple(items), shelf


def parts(replayed: dict[str, Any]) -> list[str]:
    return [p["type"] for p in replayed["item"]["content"]]


def test_the_replay_carries_images_in_ga_within_the_image_budget() -> None:
    items, shelf = image_items(10)
    replay = build_replay(items, ApiVersion.GA, ReplayBudget(max_images=3), images=shelf)
    # The newest three keep their images; older ones with text go as text; image-only ones
    # (even numbers) are left out.
    assert replay.item_ids == ("item_1", "item_3", "item_5", "item_7", "item_8", "item_9")
    assert [parts(e) for e in replay.events[-3:]] == [
        ["input_text", "input_image"],
        ["input_image"],
        ["input_text", "input_image"],
    ]
    assert replay.events[-1]["item"]["content"][1] == shelf["item_9"][0].part()
    assert [parts(e) for e in replay.events[:3]] == [["input_text"]] * 3
    assert replay.left_out == 4 and replay.images_left_out == 3
    assert replay.notice.endswith("(4 older ones left out); 3 older images not sent again")
    for event in replay.events:
        ConversationItemCreateEvent.model_validate(event)


def test_the_replay_never_sends_images_in_beta_nor_ones_off_the_shelf() -> None:
    items, shelf = image_items(4)
    beta = build_replay(items, ApiVersion.BETA, images=shelf)
    assert beta.item_ids == ("item_1", "item_3") and all(
        parts(e) == ["input_text"] for e in beta.events
    )
    gone = build_replay(items, ApiVersion.GA, images={"item_3": shelf["item_3"]})
    assert gone.item_ids == ("item_1", "item_3")
    assert [parts(e) for e in gone.events] == [["input_text"], ["input_text", "input_image"]]


def test_a_conversation_replays_what_it_sent_with_its_default_budget() -> None:
    conv = Conversation()
    for n in range(10):
        echo(conv, conv.text_turn(f"picture {n}", images=[attached(n)], respond=False).events[0])
    replay = conv.replay(ApiVersion.GA)
    assert len(replay.item_ids) == 10 and replay.images_left_out == 2  # budget: 8 images
    assert sum(parts(e).count("input_image") for e in replay.events) == 8

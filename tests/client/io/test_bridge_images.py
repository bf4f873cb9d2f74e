"""A typed turn with a picture, through the bridge over a real socket to the bundled engine
(port 0): the engine's honest refusal offline, the image described (never its bytes) in the
event log and the exports, carried over a reconnect, and refused in words in a beta session."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from PIL import Image

from realtime.client.core.images import MAX_ENCODED_BYTES, MAX_IMAGES_PER_MESSAGE, prepare_image
from realtime.client.core.snapshot import LinkState, Snapshot
from realtime.client.core.values import AttachedImage
from realtime.client.io.bridge import Bridge
from realtime.local.server import EngineServer
from realtime.local.stages.responders.vision import NO_SIGHT
from realtime.protocol.facts import ApiVersion
from realtime.recording.export import transcript_from_snapshot, transcript_json, transcript_markdown
from realtime.recording.session import SessionRecording
from tests.support.bridge import S, assistant_texts, config_for, finished, wait_for, wait_until
from tests.support.servers import CuttableProxy

pytestmark = pytest.mark.engine

TEXT_ONLY: dict[str, Any] = {"output_modalities": ("text",)}


def photo() -> AttachedImage:
    out = io.BytesIO()
    Image.new("RGB", (1600, 1200), (30, 120, 200)).save(out, format="JPEG", quality=90)
    return prepare_image(out.getvalue(), "photo.jpg")


def sent_images(recording: SessionRecording) -> list[Any]:
    return [
        part["image_url"]
        for entry in recording.log.events()
        if entry.type == "conversation.item.create" and entry.direction == "client"
        for part in entry.event["item"]["content"]
        if part["type"] == "input_image"
    ]


def test_a_typed_turn_with_an_image_gets_the_engines_honest_refusal(
    engine: EngineServer, make_bridge: Callable[..., Bridge]
) -> None:
    recording = SessionRecording()
    bridge = make_bridge(config_for(engine.url, **TEXT_ONLY), on_event=recording.observe)
    wait_for(bridge, lambda s: s.state is LinkState.CONNECTED)
    image = photo()
    bridge.send_text("What is in this picture?", images=[image])
    snapshot = wait_for(bridge, finished())
    user, _ = snapshot.items[:2]
    assert user.text == "What is in this picture?" and user.images == (image.info,)
    assert (image.width, image.height) == (1024, 768)
    assert snapshot.images[user.id] == (image,)  # the bytes, apart from the item
    assert assistant_texts(snapshot) == [NO_SIGHT]
    assert not snapshot.notices or all("error" not in n.level for n in snapshot.notices)
    # The event log (the inspector, its JSONL download) shows the image as its type and size.
    summary = f"<image: image/jpeg, {len(image.data)} bytes>"
    assert sent_images(recording) == [summary]
    jsonl = recording.log.to_jsonl()
    assert summary in jsonl and image.data_uri()[30:90] not in jsonl
    # The exports likewise.
    entries = transcript_from_snapshot(snapshot, redactor=recording.log.redactor)
    markdown, document = transcript_markdown(entries), transcript_json(entries)
    assert f"Attached: `{summary}`" in markdown
    assert json.loads(document)["entries"][0]["images"] == [summary]
    assert "base64" not in markdown + document


def test_a_message_with_the_most_pictures_at_their_largest_goes_through(
    engine: EngineServer, make_bridge: Callable[..., Bridge]
) -> None:
    noise = np.random.default_rng(3).integers(0, 256, (1200, 1600, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(noise, "RGB").save(out, format="PNG")
    image = prepare_image(out.getvalue(), "noise.png")
    assert len(image.data) > MAX_ENCODED_BYTES * 0.8  # near the byte bound: a ~5 MB frame
    bridge = make_bridge(config_for(engine.url, **TEXT_ONLY))
    wait_for(bridge, lambda s: s.state is LinkState.CONNECTED)
    bridge.send_text("Eight pictures.", images=[image] * MAX_IMAGES_PER_MESSAGE)
    snapshot = wait_for(bridge, finished())
    assert len(snapshot.items[0].images) == MAX_IMAGES_PER_MESSAGE
    assert assistant_texts(snapshot) == [NO_SIGHT] and snapshot.state is LinkState.CONNECTED


def test_an_image_is_carried_over_a_reconnect(
    proxy: CuttableProxy, make_bridge: Callable[..., Bridge]
) -> None:
    server_events: list[dict[str, Any]] = []

    def observe(direction: str, event: dict[str, Any], at: float) -> None:
        if direction == "server":
            server_events.append(event)

    bridge = make_bridge(
        config_for(proxy.url, **TEXT_ONLY), reconnect_delays=(0.1,) * 5, on_event=observe
    )
    wait_for(bridge, lambda s: s.state is LinkState.CONNECTED)
    image = photo()
    bridge.send_text("Remember this picture.", images=[image])
    item_id = wait_for(bridge, finished()).items[0].id
    proxy.cut()
    snapshot = wait_for(bridge, lambda s: s.reconnects == 1 and s.state is LinkState.CONNECTED)
    assert any("1 earlier item" in n.text or "carried over" in n.text for n in snapshot.notices)
    bridge.retrieve_item(item_id)

    def retrieved() -> dict[str, Any] | None:
        for event in list(server_events):
            if event.get("type") == "conversation.item.retrieved":
                return dict(event["item"])
        return None

    wait_until(lambda: retrieved() is not None, 10 * S, "the item to be retrieved")
    item = retrieved()
    assert item is not None
    held = [p for p in item["content"] if p["type"] == "input_image"]
    assert [p["image_url"] for p in held] == [image.data_uri()]  # the new session holds it
    assert bridge.snapshot().items[0].images == (image.info,)  # the screen unchanged


def test_a_beta_session_refuses_an_image_in_words_and_sends_nothing(
    engine: EngineServer, make_bridge: Callable[..., Bridge]
) -> None:
    recording = SessionRecording()
    config = config_for(engine.url, api_version=ApiVersion.BETA, **TEXT_ONLY)
    bridge = make_bridge(config, on_event=recording.observe)
    wait_for(bridge, lambda s: s.state is LinkState.CONNECTED)
    bridge.send_text("Look at this.", images=[photo()])

    def refused(s: Snapshot) -> bool:
        return any("takes no images" in n.text for n in s.notices)

    snapshot = wait_for(bridge, refused)
    assert snapshot.items == () and sent_images(recording) == []
    assert not [e for e in recording.log.events() if e.type == "conversation.item.create"]

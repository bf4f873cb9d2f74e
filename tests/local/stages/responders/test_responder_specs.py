"""``--responder URL`` and ``--responder llama:PATH``, as the command line builds them, over a
real socket.

The engine is built by ``Engine.default(responder=...)`` (what ``python -m realtime.local``
does with the flag) and served on a free loopback port; a typed turn with text output goes
through the rules (which know no joke) to the model named. The URL case talks to a fake
OpenAI-compatible chat server on loopback; the GGUF case loads a copy of the bundled model
from another path (any GGUF file).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from realtime.local.engine import Engine
from realtime.local.server import EngineServer
from realtime.local.stages.responders import llama
from realtime.local.stages.responders.hybrid import HybridResponder
from tests.local.test_server import TEXT_ONLY, TURN, open_client
from tests.support.chat_server import FakeChatServer


def _ask(engine: Engine, text: str) -> str:
    with EngineServer(engine=engine) as running, open_client(running.realtime_url()) as client:
        client.update(**TEXT_ONLY, instructions="Be brief.")
        client.say(text)
        response = client.until("response.done", TURN)[-1]["response"]
    assert response["status"] == "completed", response
    return str(response["output"][0]["content"][0]["text"])


def test_a_chat_url_answers_what_the_rules_do_not_know() -> None:
    answer = "Why did the scarecrow win a prize? He was outstanding in his field."
    with FakeChatServer(answer) as chat:
        engine = Engine.default(responder=chat.url)
        assert engine.responder_name == f"rules + {chat.url}/chat/completions"
        assert _ask(engine, "Tell me a joke") == answer
    (request,) = chat.requests
    assert request["stream"] is True
    assert request["messages"][0] == {"role": "system", "content": "Be brief."}
    assert request["messages"][-1] == {"role": "user", "content": "Tell me a joke"}


def test_any_gguf_path_answers_through_llama(tmp_path: Path) -> None:
    gguf = tmp_path / "my-model.gguf"
    shutil.copyfile(llama.bundled_gguf(), gguf)
    engine = Engine.default(responder=f"llama:{gguf}")
    assert isinstance(engine.responder, HybridResponder)
    assert engine.responder_name == "rules + my-model.gguf"
    said = _ask(engine, "Tell me a joke")
    assert len(said) > 20 and "beyond what I can do offline" not in said

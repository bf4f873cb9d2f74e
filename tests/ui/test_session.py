"""The objects one browser session keeps: the key handed to its bridge, scrubbed from its
recording; one password widget per provider."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from streamlit.testing.v1 import AppTest

from realtime.client.core.config import Provider
from realtime.ui.session import BRIDGE_KEY, RECORDING_KEY, key_widget
from tests.support.apptest import open_app
from tests.support.bridge import wait_for

KEYS = ("OPENAI_API_KEY", "AZURE_OPENAI_API_KEY", "REALTIME_API_KEY")


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    yield from open_app(monkeypatch, KEYS, timeout=60)


def test_each_provider_has_its_own_key_widget() -> None:
    widgets = {key_widget(provider) for provider in Provider}
    assert len(widgets) == len(Provider)
    assert key_widget(Provider.OPENAI) == "rvs.api_key.openai"


@pytest.mark.engine
def test_the_key_handed_to_the_bridge_is_scrubbed_from_the_event_log(app: AppTest) -> None:
    # The local provider's key is the in-process engine's own random key (not
    # REALTIME_LOCAL_API_KEY any more: keys are bound to endpoints); the test reads it from the
    # bridge and says it aloud. Only its registration with the recording scrubs it.
    app.run()
    app.chat_input[0].set_value("Hello").run()
    bridge = app.session_state[BRIDGE_KEY]
    # The key the page handed over: private, on purpose there is no public getter for it.
    secret = bridge._requested[1]  # noqa: SLF001
    assert secret
    wait_for(bridge, lambda s: any(t.done_at for t in s.turns) and not s.response_active)
    app.chat_input[0].set_value(f"Remember this: {secret}").run()
    # The server's echo of the item and the start of the answer are in (a language model may
    # talk for a long while on a loaded machine: its end is not needed here).
    wait_for(bridge, lambda s: any(secret in i.text for i in s.items) and len(s.turns) >= 2)
    log = app.session_state[RECORDING_KEY].log
    assert any(e.type == "conversation.item.create" for e in log.events())
    assert secret not in log.to_jsonl()

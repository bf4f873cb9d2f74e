"""The voice page's transcription mode through AppTest, against the real local engine: the
switch reconnects the session as a transcription session, and the page offers no text box."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from streamlit.testing.v1 import AppTest

from realtime.ui.session import BRIDGE_KEY
from tests.support.apptest import open_app, texts

pytestmark = pytest.mark.engine

KEYS = ("OPENAI_API_KEY", "AZURE_OPENAI_API_KEY", "REALTIME_API_KEY")


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    yield from open_app(monkeypatch, KEYS, timeout=60)


def test_switching_to_transcription_changes_the_session_and_hides_the_text_box(
    app: AppTest,
) -> None:
    app.run()
    assert app.chat_input and app.session_state[BRIDGE_KEY].config.session_type == "realtime"
    app.segmented_control[0].set_value("Transcription").run()
    assert not app.exception
    assert not app.chat_input
    assert app.session_state[BRIDGE_KEY].config.session_type == "transcription"
    assert "Press START and speak" in texts(app)
    assert any(e.label == "Export the transcript" for e in app.expander)

"""Fixtures shared by the local engine's tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.speech_service import SpeechService


@pytest.fixture
def speech_service() -> Iterator[SpeechService]:
    """A fake OpenAI-compatible speech service on loopback (``tests.support.speech_service``)."""
    with SpeechService() as running:
        yield running

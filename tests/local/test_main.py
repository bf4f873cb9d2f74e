"""The command line (``python -m realtime.local``, ``realtime.local.__main__``)."""

from __future__ import annotations

from typing import Any

import pytest

from realtime.local.engine import Engine
from realtime.protocol.errors import EngineError


def test_cli_passes_the_urls_and_the_keys_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from realtime.local import __main__ as cli

    seen: dict[str, Any] = {}

    def default(**options: Any) -> Engine:
        seen.update(options)
        raise EngineError("stop here")

    monkeypatch.setattr(cli.Engine, "default", default)
    monkeypatch.setenv("REALTIME_ASR_API_KEY", "sk-asr")
    monkeypatch.delenv("REALTIME_TTS_API_KEY", raising=False)
    argv = ["--asr-url", "http://127.0.0.1:1/v1", "--tts-url", "http://127.0.0.1:2/v1"]
    assert cli.main(argv) == 2
    assert "stop here" in capsys.readouterr().err
    assert seen["asr_url"] == "http://127.0.0.1:1/v1"
    assert seen["tts_url"] == "http://127.0.0.1:2/v1"
    assert (seen["asr_api_key"], seen["tts_api_key"]) == ("sk-asr", None)

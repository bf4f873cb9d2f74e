"""The model list: current models first, the default current, shutdown dates shown."""

from __future__ import annotations

from realtime.protocol.model_list import (
    DEFAULT_MODEL,
    DEFAULT_TRANSCRIPTION_MODEL,
    MODELS,
    REALTIME_MODELS,
    TRANSCRIPTION,
    TRANSCRIPTION_MODELS,
    label,
    notice,
)


def test_the_defaults_are_current_models() -> None:
    assert MODELS[0] == DEFAULT_MODEL == "gpt-realtime-2"
    assert notice(DEFAULT_MODEL) is None and label(DEFAULT_MODEL) == DEFAULT_MODEL
    assert TRANSCRIPTION_MODELS[0] == DEFAULT_TRANSCRIPTION_MODEL
    assert notice(DEFAULT_TRANSCRIPTION_MODEL) is None


def test_deprecated_models_show_their_shutdown_date() -> None:
    for name in (
        "gpt-realtime",
        "gpt-realtime-2025-08-28",
        "gpt-realtime-mini",
        "gpt-realtime-mini-2025-12-15",
        "gpt-audio-mini",
        "gpt-audio-mini-2025-12-15",
    ):
        assert label(name) == f"{name} (shuts down 2027-01-20)"
        assert "2027-01-20" in str(notice(name))
    for name in ("whisper-1", "gpt-4o-transcribe", "gpt-4o-mini-transcribe"):
        assert "2027-02-26" in label(name) and "2027-02-26" in str(notice(name))


def test_current_models_come_before_deprecated_ones_and_beta_previews_are_labelled() -> None:
    for models in (REALTIME_MODELS, TRANSCRIPTION):
        going = [m.shutdown is not None or m.retired for m in models]
        assert going == sorted(going)
    assert "Azure" in label("gpt-4o-realtime-preview")
    assert "retired" in str(notice("gpt-4o-realtime-preview"))
    assert notice("my-azure-deployment") is None
    for name in ("gpt-realtime-2", "gpt-realtime-2.1", "gpt-realtime-2.1-mini", "gpt-realtime-1.5"):
        assert name in MODELS and notice(name) is None

"""The session schema: one row per field, consistent paths, and the renderer's version cuts."""

from __future__ import annotations

from pathlib import Path

import pytest

from realtime.protocol.facts import ApiVersion
from realtime.protocol.session_schema import (
    FIELD,
    FIELDS,
    SERVER_VAD_DEFAULTS,
    bounds,
    children,
    custom_voice,
    render,
    settings,
    takes,
    voice_name,
)


def test_each_field_is_written_once_and_sits_inside_its_parent() -> None:
    assert len(FIELD) == len(FIELDS)
    for row in FIELDS:
        assert row.ga or row.beta, row.name
        if row.parent is None:
            continue
        parent = FIELD[row.parent]
        for version in ApiVersion:
            path = row.path(version)
            if path is not None:
                assert parent.path(version) is not None, row.name
                assert path == f"{parent.path(version)}.{row.key}", row.name


def test_numbers_are_bounded_on_both_sides_and_defaults_lie_inside() -> None:
    open_above = {"truncation.token_limits.post_instructions"}  # the model's context decides
    for row in FIELDS:
        if row.kind not in ("integer", "number", "tokens"):
            continue
        assert row.low is not None, row.name
        assert row.high is not None or row.name in open_above, row.name
        low, high = bounds(row.name)
        if isinstance(row.default, int | float):
            assert low <= row.default <= high, row.name
        if row.choices:
            assert row.default is None or row.default in row.choices


def test_ranges_the_two_ends_once_disagreed_on() -> None:
    assert bounds("turn_detection.prefix_padding_ms") == (0, 5000)
    assert bounds("turn_detection.idle_timeout_ms") == (5000, 30_000)
    assert bounds("speed") == (0.25, 1.5)
    assert SERVER_VAD_DEFAULTS == {
        "threshold": 0.5,
        "prefix_padding_ms": 300,
        "silence_duration_ms": 500,
        "create_response": True,
        "interrupt_response": True,
    }


def test_beta_takes_none_of_todays_ga_fields() -> None:
    for name in ("reasoning", "parallel_tool_calls", "truncation", "prompt", "include", "type"):
        assert takes(name, ApiVersion.GA) and not takes(name, ApiVersion.BETA)
    assert takes("temperature", ApiVersion.BETA) and not takes("temperature", ApiVersion.GA)
    beta_vad = {row.key for row in children("turn_detection", ApiVersion.BETA, "server_vad")}
    assert "idle_timeout_ms" not in beta_vad and "threshold" in beta_vad
    assert "eagerness" not in beta_vad


def test_render_nests_ga_and_flattens_beta_leaving_out_what_a_version_does_not_take() -> None:
    values = {
        "output_modalities": ["audio"],
        "voice": {"id": "voice_9"},
        "speed": 1.2,
        "temperature": 0.7,
        "reasoning": {"effort": "low"},
        "noise_reduction": {"type": "near_field", "strength": 0.5},
    }
    assert render(values, ApiVersion.GA) == {
        "output_modalities": ["audio"],
        "audio": {
            "input": {"noise_reduction": {"type": "near_field", "strength": 0.5}},
            "output": {"voice": {"id": "voice_9"}, "speed": 1.2},
        },
        "reasoning": {"effort": "low"},
    }
    assert render(values, ApiVersion.BETA) == {
        "modalities": ["text", "audio"],
        "voice": "voice_9",
        "speed": 1.2,
        "temperature": 0.7,
        "input_audio_noise_reduction": {"type": "near_field"},
    }


@pytest.mark.parametrize("voice", ["alloy", "voice_1234"])
def test_custom_voices_round_trip(voice: str) -> None:
    assert voice_name(custom_voice(voice)) == voice
    assert isinstance(custom_voice("voice_1234"), dict) and custom_voice("alloy") == "alloy"


def test_settings_are_the_top_level_rows_in_table_order() -> None:
    names = [row.name for row in settings(ApiVersion.GA)]
    assert names[0] == "type" and "temperature" not in names and "reasoning.effort" not in names


def test_docs_list_every_field_with_its_paths() -> None:
    docs = (Path(__file__).parents[2] / "docs" / "session-fields.md").read_text()
    for row in FIELDS:
        ga = f"`{row.ga}`" if row.ga else "—"
        beta = f"`{row.beta}`" if row.beta else "—"
        assert f"| `{row.name}` | {ga} | {beta} | {row.kind} |" in docs, row.name

"""Sidebar values -> SessionConfig, and the provider the sidebar starts on."""

from __future__ import annotations

from realtime.client.core.config import Provider, SemanticVad, ServerVad
from realtime.protocol.facts import ApiVersion
from realtime.ui.deployment import DeploymentSettings
from realtime.ui.settings import Settings, build_config, default_provider


def test_defaults_build_a_local_server_vad_config() -> None:
    config, problems = build_config(Settings())
    assert problems == {} and config is not None
    assert config.provider is Provider.LOCAL
    assert isinstance(config.turn_detection, ServerVad)
    assert config.output_modalities == ("audio",)


def test_turn_modes_map_to_turn_detection() -> None:
    semantic, _ = build_config(Settings(turn_mode="Semantic VAD", eagerness="low"))
    assert semantic is not None and semantic.turn_detection == SemanticVad(eagerness="low")
    ptt, _ = build_config(Settings(turn_mode="Push-to-talk"))
    assert ptt is not None and ptt.turn_detection is None


def test_invalid_values_are_reported_per_field() -> None:
    config, problems = build_config(Settings(threshold=1.7))
    assert config is None and "turn_detection.threshold" in problems
    config, problems = build_config(Settings(provider=Provider.OPENAI, voice="robot"))
    assert config is None and "allowed" in problems["voice"]
    config, problems = build_config(Settings(provider=Provider.CUSTOM))
    assert config is None and "base_url" in problems


def test_temperature_is_only_kept_for_beta() -> None:
    ga, _ = build_config(Settings(temperature=0.9))
    beta, _ = build_config(Settings(temperature=0.9, api_version=ApiVersion.BETA))
    assert ga is not None and ga.temperature is None
    assert beta is not None and beta.temperature == 0.9


def test_local_engine_is_the_default_without_a_key() -> None:
    assert default_provider(DeploymentSettings({}, {}).keys()) is Provider.LOCAL
    deployed = DeploymentSettings({}, {"OPENAI_API_KEY": "sk-x"}).keys()
    assert default_provider(deployed) is Provider.OPENAI
    deployed = DeploymentSettings({"AZURE_OPENAI_API_KEY": "k"}, {}).keys()
    assert default_provider(deployed) is Provider.AZURE

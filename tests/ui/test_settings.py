"""Sidebar values -> SessionConfig, and where the API key comes from."""

from __future__ import annotations

from realtime.client.core.config import Provider, SemanticVad, ServerVad
from realtime.protocol.facts import ApiVersion
from realtime.ui.settings import Settings, build_config, default_provider, resolve_api_key


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


def test_key_resolution_order_and_label_never_holds_the_key() -> None:
    secrets = {"OPENAI_API_KEY": "sk-secret-1"}
    environ = {"OPENAI_API_KEY": "sk-env-2"}
    typed = resolve_api_key(Provider.OPENAI, " sk-typed ", secrets, environ)
    assert typed.key == "sk-typed" and "sk-" not in typed.label
    from_secrets = resolve_api_key(Provider.OPENAI, "", secrets, environ)
    assert from_secrets.key == "sk-secret-1" and "secret-1" not in from_secrets.label
    from_env = resolve_api_key(Provider.OPENAI, "", {}, environ)
    assert from_env.key == "sk-env-2" and from_env.label == "OPENAI_API_KEY from the environment"
    assert resolve_api_key(Provider.AZURE, "", secrets, environ).key is None


def test_local_engine_is_the_default_without_a_key() -> None:
    assert default_provider({}, {}) is Provider.LOCAL
    assert default_provider({}, {"OPENAI_API_KEY": "sk-x"}) is Provider.OPENAI
    assert default_provider({"AZURE_OPENAI_API_KEY": "k"}, {}) is Provider.AZURE

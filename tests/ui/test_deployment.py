"""What the deployer configured, read under one rule: secrets first, then the environment; the
keys bound to their endpoints, the address policy, the ICE servers, the log level."""

from __future__ import annotations

import pytest

from realtime.client.core.config import Provider
from realtime.protocol.errors import ConfigError
from realtime.ui.deployment import DeploymentSettings
from realtime.ui.keys import bound_key

CUSTOM = "wss://realtime.example.com/v1"


# ---- the one lookup rule ------------------------------------------------------------------
def test_a_secret_wins_and_a_blank_one_falls_back_to_the_environment() -> None:
    environ = {"REALTIME_PROVIDERS": "custom", "LOG_LEVEL": "DEBUG"}
    found = DeploymentSettings({"providers": "  local ", "LOG_LEVEL": "  "}, environ)
    assert found.get("providers", "REALTIME_PROVIDERS") == "local"  # stripped
    assert found.source("providers", "REALTIME_PROVIDERS") == "Streamlit secrets"
    assert found.get("LOG_LEVEL") == "DEBUG" and found.source("LOG_LEVEL") == "the environment"


@pytest.mark.parametrize("blank", [None, "", "  "])
def test_unset_or_blank_everywhere_is_unset(blank: str | None) -> None:
    found = DeploymentSettings({"allowed_hosts": blank}, {"REALTIME_ALLOWED_HOSTS": blank or ""})
    assert found.get("allowed_hosts", "REALTIME_ALLOWED_HOSTS") is None
    assert found.source("allowed_hosts", "REALTIME_ALLOWED_HOSTS") is None


def test_secrets_keep_their_types() -> None:
    found = DeploymentSettings({"max_voice_sessions": 3, "allowed_hosts": ["a.example"]}, {})
    assert found.get("max_voice_sessions") == 3
    assert found.get("allowed_hosts") == ["a.example"]


# ---- keys ---------------------------------------------------------------------------------
def test_environment_is_read_after_secrets() -> None:
    deployed = DeploymentSettings(
        {"REALTIME_API_KEY": "from-secrets"},
        {"REALTIME_API_KEY": "from-env", "REALTIME_BASE_URL": CUSTOM},
    ).keys()
    key = bound_key(Provider.CUSTOM, CUSTOM, "", deployed)
    assert key.key == "from-secrets"
    assert deployed.endpoint(Provider.CUSTOM) == CUSTOM


def test_key_resolution_order_and_label_never_holds_the_key() -> None:
    # Was ui.settings.resolve_api_key's test: the one resolver left gives the same answers.
    secrets = {"OPENAI_API_KEY": "sk-secret-1"}
    environ = {"OPENAI_API_KEY": "sk-env-2"}
    deployed = DeploymentSettings(secrets, environ).keys()
    typed = bound_key(Provider.OPENAI, "", " sk-typed ", deployed)
    assert typed.key == "sk-typed" and "sk-" not in typed.label
    from_secrets = bound_key(Provider.OPENAI, "", "", deployed)
    assert from_secrets.key == "sk-secret-1" and "secret-1" not in from_secrets.label
    from_env = bound_key(Provider.OPENAI, "", "", DeploymentSettings({}, environ).keys())
    assert from_env.key == "sk-env-2" and from_env.label == "OPENAI_API_KEY from the environment"
    assert bound_key(Provider.AZURE, "", "", deployed).key is None


# ---- address policy -----------------------------------------------------------------------
def test_address_policy_from_the_environment() -> None:
    policy = DeploymentSettings(
        {}, {"REALTIME_ALLOW_PRIVATE_URLS": "1", "REALTIME_ALLOWED_HOSTS": "A.example, b.example"}
    ).address_policy()
    assert policy.allow_private
    assert policy.allowed_hosts == {"a.example", "b.example"}


def test_address_policy_from_secrets_and_the_deployers_own_endpoint() -> None:
    secrets = {
        "REALTIME_ALLOW_PRIVATE_URLS": False,
        "allowed_hosts": ["a.example"],
        "REALTIME_BASE_URL": CUSTOM,
    }
    policy = DeploymentSettings(secrets, {"REALTIME_ALLOW_PRIVATE_URLS": "1"}).address_policy()
    assert not policy.allow_private  # the secret wins, even when it says no
    assert policy.allowed_hosts == {"a.example", "realtime.example.com:443"}


def test_no_address_settings_allow_only_public_hosts() -> None:
    policy = DeploymentSettings({}, {}).address_policy()
    assert not policy.allow_private and policy.allowed_hosts == frozenset()


def test_the_engine_child_gets_the_policy_from_secrets_too() -> None:
    secrets = {"allowed_hosts": ["mcp.example"], "REALTIME_ALLOW_PRIVATE_URLS": False}
    environ = {"REALTIME_ALLOW_PRIVATE_URLS": "1"}
    child = DeploymentSettings(secrets, environ).engine_environment()
    assert child == {"REALTIME_ALLOW_PRIVATE_URLS": "0", "REALTIME_ALLOWED_HOSTS": "mcp.example"}
    from realtime.protocol.address_policy import AddressPolicy

    seen = AddressPolicy.from_settings(
        allow_private=child["REALTIME_ALLOW_PRIVATE_URLS"],
        allowed_hosts=child["REALTIME_ALLOWED_HOSTS"],
    )  # what the engine's MCP client builds from its environment
    assert seen == DeploymentSettings(secrets, environ).address_policy()


# ---- ICE servers, log level -----------------------------------------------------------------
def test_ice_servers_from_secrets_or_json_in_the_environment() -> None:
    turn = {"urls": ["turn:turn.example:3478"], "username": "u", "credential": "c"}
    assert DeploymentSettings({"ice_servers": [turn]}, {}).ice_servers() == [turn]
    environ = {"REALTIME_ICE_SERVERS": '[{"urls": "stun:stun.example:3478"}]'}
    assert DeploymentSettings({}, environ).ice_servers() == [{"urls": "stun:stun.example:3478"}]
    assert DeploymentSettings({}, {}).ice_servers() == []


def test_the_rtc_configuration_forces_relay_only_when_asked() -> None:
    turn = {"urls": ["turn:turn.example:3478"], "username": "u", "credential": "c"}
    assert DeploymentSettings({"ice_servers": [turn]}, {}).rtc_configuration() == {
        "iceServers": [turn]
    }
    environ = {"REALTIME_ICE_TRANSPORT_POLICY": " Relay "}
    relayed = DeploymentSettings({"ice_servers": [turn]}, environ).rtc_configuration()
    assert relayed == {"iceServers": [turn], "iceTransportPolicy": "relay"}
    secret_wins = DeploymentSettings({"ice_transport_policy": "all"}, environ)
    assert "iceTransportPolicy" not in secret_wins.rtc_configuration()
    with pytest.raises(ConfigError, match="ice_transport_policy"):
        DeploymentSettings({}, {"REALTIME_ICE_TRANSPORT_POLICY": "relayed"}).rtc_configuration()


def test_log_level_defaults_to_info() -> None:
    assert DeploymentSettings({}, {}).log_level() == "INFO"
    assert DeploymentSettings({}, {"LOG_LEVEL": "DEBUG"}).log_level() == "DEBUG"

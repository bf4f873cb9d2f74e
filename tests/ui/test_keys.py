"""A deployer's key reaches no endpoint but its own; typed keys go where the visitor points."""

from __future__ import annotations

import pytest

from realtime.client.core.config import Provider
from realtime.ui.deployment import DeploymentSettings
from realtime.ui.keys import bound_key, key_is_sendable, same_endpoint

AZURE = "https://contoso.openai.azure.com"
CUSTOM = "wss://realtime.example.com/v1"
ALL = {
    "OPENAI_API_KEY": "sk-openai",
    "AZURE_OPENAI_API_KEY": "az-key",
    "AZURE_OPENAI_ENDPOINT": AZURE,
    "REALTIME_API_KEY": "rt-key",
    "REALTIME_BASE_URL": CUSTOM,
}
DEPLOYED = DeploymentSettings(ALL, {}).keys()


def test_openai_key_goes_to_openai() -> None:
    key = bound_key(Provider.OPENAI, "", "", DEPLOYED)
    assert key.key == "sk-openai" and key.deployer_key
    assert "OPENAI_API_KEY from Streamlit secrets" in key.label


@pytest.mark.parametrize(
    ("provider", "same"),
    [
        (Provider.AZURE, [AZURE, AZURE + "/", "wss://CONTOSO.openai.azure.com:443"]),
        (Provider.CUSTOM, [CUSTOM, CUSTOM + "/", "https://realtime.example.com/v1"]),
    ],
)
def test_deployer_key_only_for_its_own_endpoint(provider: Provider, same: list[str]) -> None:
    for endpoint in same:
        assert bound_key(provider, endpoint, "", DEPLOYED).deployer_key, endpoint
    others = [
        "wss://evil.example",
        "wss://contoso.openai.azure.com.evil.example",
        "wss://contoso.openai.azure.com:8443",
        "ws://contoso.openai.azure.com",  # a downgrade to plain text is another endpoint
        "wss://realtime.example.com/v2",
        "wss://user:pw@realtime.example.com/v1",
        "ws://127.0.0.1:8765/v1",
        "not a url",
        "",
    ]
    for endpoint in others:
        key = bound_key(provider, endpoint, "", DEPLOYED)
        assert key.key is None and not key.deployer_key, endpoint
        assert "type your own key" in key.label or "no key" in key.label


def test_typed_key_replaces_the_deployers_anywhere() -> None:
    key = bound_key(Provider.CUSTOM, "wss://mine.example/v1", " sk-mine ", DEPLOYED)
    assert key.key == "sk-mine" and not key.deployer_key
    assert key.label == "typed in the sidebar"


def test_a_key_without_its_endpoint_is_sent_nowhere() -> None:
    deployed = DeploymentSettings({}, {"AZURE_OPENAI_API_KEY": "az-key"}).keys()
    key = bound_key(Provider.AZURE, AZURE, "", deployed)
    assert key.key is None and "AZURE_OPENAI_ENDPOINT" in key.label


@pytest.mark.parametrize("bad", ["sk-a\r\nX-Evil: 1", "sk-a\nb", "sk a", "sk-\x00", "sk-é"])
def test_a_key_with_a_line_break_is_refused_without_echo(bad: str) -> None:
    assert not key_is_sendable(bad)
    key = bound_key(Provider.OPENAI, "", bad, DEPLOYED)
    assert key.key is None and bad.strip() not in key.label and "refused" in key.label


def test_local_provider_gets_the_engines_key_only() -> None:
    key = bound_key(Provider.LOCAL, "ws://127.0.0.1:1/v1", "sk-typed", DEPLOYED, local_key="k")
    assert key.key == "k"


def test_same_endpoint_rules() -> None:
    assert same_endpoint("https://a.example", "wss://a.example:443/")
    assert not same_endpoint("https://a.example", "https://a.example.evil")
    assert not same_endpoint("", "")

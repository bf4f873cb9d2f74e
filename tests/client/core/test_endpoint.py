"""Connection URL and handshake headers per provider and API version."""

from __future__ import annotations

import pytest

from realtime.client.core.config import Provider, SessionConfig
from realtime.client.core.endpoint import connection_headers, connection_url
from realtime.protocol.errors import ConfigError
from realtime.protocol.facts import ApiVersion


def test_openai_ga_url_and_headers() -> None:
    config = SessionConfig(provider=Provider.OPENAI, model="gpt-realtime-mini")
    assert connection_url(config) == "wss://api.openai.com/v1/realtime?model=gpt-realtime-mini"
    assert connection_headers(config, "sk-test") == {"Authorization": "Bearer sk-test"}


def test_openai_beta_adds_the_beta_header() -> None:
    config = SessionConfig(
        provider=Provider.OPENAI, api_version=ApiVersion.BETA, model="gpt-4o-realtime-preview"
    )
    assert connection_url(config).endswith("?model=gpt-4o-realtime-preview")
    assert connection_headers(config, "sk-test") == {
        "Authorization": "Bearer sk-test",
        "OpenAI-Beta": "realtime=v1",
    }


def test_azure_ga_and_preview_urls_use_the_api_key_header() -> None:
    ga = SessionConfig(
        provider=Provider.AZURE, azure_endpoint="https://res.openai.azure.com/", model="my-rt"
    )
    assert connection_url(ga) == "wss://res.openai.azure.com/openai/v1/realtime?model=my-rt"
    assert connection_headers(ga, "k") == {"api-key": "k"}
    preview = ga.replace(api_version=ApiVersion.BETA)
    assert connection_url(preview) == (
        "wss://res.openai.azure.com/openai/realtime?api-version=2025-04-01-preview&deployment=my-rt"
    )


def test_custom_url_takes_http_or_ws_and_key_is_optional() -> None:
    config = SessionConfig(provider=Provider.CUSTOM, base_url="http://127.0.0.1:9000/v1/")
    assert connection_url(config) == "ws://127.0.0.1:9000/v1/realtime?model=gpt-realtime-2"
    assert connection_headers(config, None) == {}
    secure = config.replace(base_url="https://example.test/v1")
    assert connection_url(secure).startswith("wss://example.test/v1/realtime")


def test_missing_keys_and_urls_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="api_key"):
        connection_headers(SessionConfig(provider=Provider.OPENAI), None)
    with pytest.raises(ConfigError, match="api_key"):
        connection_headers(
            SessionConfig(provider=Provider.AZURE, azure_endpoint="https://r.openai.azure.com"),
            "",
        )
    with pytest.raises(ConfigError, match="base_url"):
        connection_url(SessionConfig(provider=Provider.LOCAL))

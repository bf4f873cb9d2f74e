"""``response.create`` options, checked per API version (``realtime.local.session.options``)."""

from __future__ import annotations

from realtime.protocol.facts import ApiVersion
from tests.support.session import SessionHarness, error_of


def test_response_create_options_are_checked_per_version() -> None:
    ga = SessionHarness()
    error = error_of(ga.send("response.create", response={"modalities": ["text"]}))
    assert (error["code"], error["param"]) == ("unknown_parameter", "response.modalities")
    beta = SessionHarness(ApiVersion.BETA)
    beta.send("response.create", response={"modalities": ["text"], "temperature": 0.9})
    assert beta.last("response.created")["response"]["output_modalities"] == ["text"]

"""Pure tests of realtime.recording.redact: credential keys, key-shaped strings, secrets, audio."""

from __future__ import annotations

import base64
import json

import pytest

from realtime.client.core.config import SessionConfig
from realtime.client.core.mcp import McpServer
from realtime.client.core.session_update import session_payload
from realtime.protocol.events import client_event
from realtime.recording.redact import REDACTED, Redactor, audio_summary, image_summary

KEY = "sk-proj-Zq8vT3xLm2Np7Rw4Ks9Hy6Bd1Fg5Jc0"
EPHEMERAL = "ek_68af1b2c3d4e5f60718293a4b5c6d7e8"


@pytest.mark.parametrize("pcm_bytes", [0, 1, 2, 3, 4, 4800, 19200, 19201, 19202])
def test_audio_summary_counts_bytes_from_the_base64_length(pcm_bytes: int) -> None:
    payload = base64.b64encode(bytes(pcm_bytes)).decode()
    text, size = audio_summary(payload)
    assert size == pcm_bytes
    assert text == f"<audio: {pcm_bytes} bytes, {pcm_bytes / 48:.1f} ms>"


def test_audio_summary_of_a_summary_is_itself() -> None:
    assert audio_summary("<audio: 4800 bytes, 100.0 ms>") == ("<audio: 4800 bytes, 100.0 ms>", 4800)


@pytest.mark.parametrize(
    "key",
    ["Authorization", "authorization", "api_key", "api-key", "x-api-key", "OpenAI-Api-Key",
     "token", "access_token", "refreshToken", "client_secret", "password", "passwd"],
)  # fmt: skip
def test_values_under_credential_keys_are_redacted_whatever_they_are(key: str) -> None:
    clean, _ = Redactor().event({"type": "x", "nested": [{key: {"value": "anything"}}]})
    assert clean == {"type": "x", "nested": [{key: REDACTED}]}


def test_usage_fields_named_tokens_are_kept() -> None:
    usage = {
        "total_tokens": 215,
        "input_tokens": 155,
        "input_token_details": {"cached_tokens": 64, "cached_tokens_details": {"text_tokens": 64}},
        "output_token_details": {"audio_tokens": 48},
    }
    session = {"max_output_tokens": 4096, "max_response_output_tokens": "inf"}
    event = {"type": "response.done", "response": {"usage": usage}, "session": session}
    assert Redactor().event(event)[0] == event


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"my key is {KEY}, keep it safe", f"my key is {REDACTED}, keep it safe"),
        (f"Authorization: Bearer {KEY}", f"Authorization: Bearer {REDACTED}"),
        ("authorization: bearer eyJhbGciOiJIUzI1NiJ9.e30.abc", f"authorization: bearer {REDACTED}"),
        (f"ephemeral {EPHEMERAL}", f"ephemeral {REDACTED}"),
        ("the bearer of good news asked a task-oriented question", None),
        ("sk-short", None),
    ],
)
def test_key_shaped_strings_are_redacted_inside_text(text: str, expected: str | None) -> None:
    assert Redactor().text(text) == (text if expected is None else expected)


def test_a_registered_secret_is_scrubbed_anywhere_even_in_keys() -> None:
    secret = "azure-0123456789abcdef0123456789abcdef"  # not key-shaped: only registration finds it
    redactor = Redactor([secret])
    event = {
        "type": "conversation.item.create",
        "item": {"content": [{"type": "input_text", "text": f"x{secret}y"}]},
        secret: 1,
    }
    clean, _ = redactor.event(event)
    assert secret not in json.dumps(clean)
    assert clean["item"]["content"][0]["text"] == f"x{REDACTED}y"


def test_short_registered_values_are_ignored() -> None:
    redactor = Redactor(["", "abc", None])  # type: ignore[list-item]  # None: no key configured
    assert redactor.text("abc") == "abc"


def test_the_event_is_copied_not_changed() -> None:
    event = {"type": "input_audio_buffer.append", "audio": base64.b64encode(bytes(96)).decode()}
    before = json.dumps(event)
    clean, size = Redactor().event(event)
    assert json.dumps(event) == before
    assert clean["audio"] == "<audio: 96 bytes, 2.0 ms>" and size == 96


def test_non_json_values_become_scrubbed_text() -> None:
    clean = Redactor().value({"raw": b"sk-proj-Zq8vT3xLm2Np7Rw4Ks9Hy6Bd1Fg5Jc0"})
    assert KEY not in json.dumps(clean)


def test_an_image_data_uri_shows_as_its_type_and_size_not_its_bytes() -> None:
    url = "data:image/png;base64," + "A" * 4000 + "=="
    event = {
        "type": "conversation.item.create",
        "item": {"content": [{"type": "input_image", "image_url": url, "detail": "low"}]},
    }
    clean, _ = Redactor().event(event)
    part = clean["item"]["content"][0]
    assert part == {
        "type": "input_image",
        "image_url": "<image: image/png, 2999 bytes>",
        "detail": "low",
    }
    assert Redactor().value(event)["item"]["content"][0]["image_url"].startswith("<image: ")
    assert image_summary("https://example.com/x.png") == "https://example.com/x.png"
    assert image_summary(image_summary(url)) == image_summary(url)


def test_an_mcp_tools_key_and_header_values_are_redacted_names_kept() -> None:
    server = McpServer(
        "docs",
        "https://mcp.example.com/mcp",
        headers=(("X-Team", "tiny"), ("X-Api", "header-secret-0123")),
        authorization="mcp-key-planted-0123456789",
    )
    event = client_event(
        "session.update", session=session_payload(SessionConfig(mcp_servers=(server,)))
    )
    clean, _ = Redactor().event(event)
    tool = clean["session"]["tools"][0]
    assert tool["authorization"] == REDACTED
    assert tool["headers"] == {"X-Team": REDACTED, "X-Api": REDACTED}
    assert tool["server_url"] == "https://mcp.example.com/mcp"
    text = json.dumps(clean)
    assert "mcp-key-planted" not in text and "header-secret" not in text and "tiny" not in text

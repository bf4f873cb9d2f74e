"""Pure tests of realtime.protocol.strict_json: whatever a peer sends, only FrameRejected."""

from __future__ import annotations

import json

import pytest

from realtime.protocol import strict_json
from realtime.protocol.errors import ProtocolError
from realtime.protocol.events import parse_server_event
from realtime.protocol.strict_json import MAX_DEPTH, FrameRejected

HOSTILE = [
    ("[" * 1000 + "]" * 1000, "invalid_json"),  # RecursionError in json without the depth check
    ('{"a": ' * (MAX_DEPTH + 1) + "1" + "}" * (MAX_DEPTH + 1), "invalid_json"),
    ('{"n": ' + "9" * 5000 + "}", "invalid_json"),  # ValueError: int of over 4,300 digits
    ('{"t": NaN}', "invalid_value"),
    ('{"t": -Infinity}', "invalid_value"),
    ('{"t": 1e999}', "invalid_value"),
    (b"\xff\xfe", "invalid_json"),
    ("{", "invalid_json"),
]


@pytest.mark.parametrize(("frame", "code"), HOSTILE)
def test_hostile_frames_are_rejected_with_a_code(frame: str | bytes, code: str) -> None:
    with pytest.raises(FrameRejected) as caught:
        strict_json.loads(frame)
    assert caught.value.code == code
    assert isinstance(caught.value, ProtocolError)  # the client's one error type for frames


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    text = json.dumps({"text": "[" * 500 + "{" * 500})
    assert strict_json.loads(text) == {"text": "[" * 500 + "{" * 500}


def test_nesting_at_the_limit_is_accepted() -> None:
    text = '{"a": ' * (MAX_DEPTH - 1) + "1" + "}" * (MAX_DEPTH - 1)
    value = strict_json.loads(text)
    for _ in range(MAX_DEPTH - 1):
        value = value["a"]
    assert value == 1


def test_lone_surrogates_become_replacement_characters_and_the_rest_is_kept() -> None:
    value = strict_json.loads('{"t\\ud800": ["a\\udfffb", "\\ud83d\\ude00"]}')
    assert value == {"t\ufffd": ["a\ufffdb", "\U0001f600"]}
    strict_json.dumps(value)  # safe to send on


def test_dumps_refuses_what_could_not_be_json() -> None:
    with pytest.raises(ValueError):
        strict_json.dumps({"t": float("nan")})
    with pytest.raises(ValueError):
        strict_json.dumps({"t": "\ud800"})
    assert strict_json.dumps({"é": [1, 2.5]}) == '{"é":[1,2.5]}'


@pytest.mark.parametrize(("frame", "code"), HOSTILE)
def test_a_hostile_server_frame_is_a_protocol_error_on_the_client(frame: str, code: str) -> None:
    # A server at a typed URL is a peer like any other: the client's parser never crashes.
    with pytest.raises(ProtocolError):
        parse_server_event(frame)

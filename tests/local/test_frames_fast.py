"""The large-append fast path of realtime.local.frames: the same answers as reading it whole."""

from __future__ import annotations

import base64
import json

import pytest

from realtime.local.frames import read_append, read_event
from realtime.local.session.wire import InvalidRequest

PCM = bytes(range(256)) * 400  # 102,400 bytes: past the large-frame threshold as base64
AUDIO = base64.b64encode(PCM).decode()
ODD = base64.b64encode(PCM + b"x").decode()


def append(**fields: object) -> str:
    return json.dumps({"type": "input_audio_buffer.append", "audio": AUDIO, **fields})


def test_a_plain_large_append_is_decoded_in_pieces_to_the_same_pcm() -> None:
    event, pcm = read_append(append(event_id="e1"))
    assert pcm == PCM
    assert event == {"type": "input_audio_buffer.append", "audio": AUDIO, "event_id": "e1"}
    assert read_append(append().encode())[1] == PCM  # bytes frames too


@pytest.mark.parametrize(
    "frame",
    [
        append(extra=1),  # an unknown field: the session refuses it, with its own error
        json.dumps({"type": "input_audio_buffer.commit", "x": {"audio": AUDIO}}),
        json.dumps({"type": "input_audio_buffer.append", "audio": AUDIO[:-1]}),  # bad length
        json.dumps({"type": "input_audio_buffer.append", "audio": "AA==" + AUDIO}),  # padding
        json.dumps({"type": "input_audio_buffer.append", "audio": AUDIO[:-4] + "A$A="}),
        json.dumps(
            {"type": "input_audio_buffer.append", "audio": base64.b64encode(b"odd").decode()}
        ),
    ],
)
def test_anything_else_gives_no_pcm_and_the_event_as_a_whole_read_would(frame: str) -> None:
    event, pcm = read_append(frame)
    assert pcm is None
    assert event == read_event(frame)


def test_a_cut_that_is_not_the_top_level_audio_falls_back_to_a_whole_read() -> None:
    # "audio" as a nested key before the real one: the cut proves wrong and is not used.
    frame = '{"type":"input_audio_buffer.append","event_id":"e","audio":"' + AUDIO + '"}'
    nested = '{"meta":{"audio":"x"},' + frame[1:]
    assert read_append(frame)[1] == PCM
    event, pcm = read_append(nested)
    assert pcm is None and event == read_event(nested)


def test_a_broken_large_frame_is_still_refused_strictly() -> None:
    with pytest.raises(InvalidRequest):
        read_append(append()[:-1])

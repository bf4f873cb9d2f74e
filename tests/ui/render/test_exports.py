"""realtime.ui.render.exports: the four downloads of a session, built on request."""

from __future__ import annotations

import json

from realtime.client.core.config import SessionConfig
from realtime.client.io.bridge import Bridge
from realtime.recording.session import SessionRecording
from realtime.ui.render.exports import prepare_exports


def test_a_fresh_session_exports_transcripts_audio_and_events() -> None:
    bridge = Bridge(SessionConfig())  # never started: an empty conversation
    recording = SessionRecording()
    prepared = prepare_exports(bridge, recording)
    names = [name for _, _, name, _, _ in prepared.files]
    assert [n.rsplit(".", 1)[1] for n in names] == ["md", "json", "wav", "jsonl"]
    by_mime = {mime: data for _, data, _, mime, _ in prepared.files}
    assert json.loads(by_mime["application/json"])["meta"]["model"] == "gpt-realtime-2"
    wav = by_mime["audio/wav"]
    assert isinstance(wav, bytes) and wav[:4] == b"RIFF"

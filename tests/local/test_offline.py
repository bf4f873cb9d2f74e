"""The local engine needs no network and no torch: a spoken turn in a process with no network.

The child process runs in a fresh network namespace (``unshare -rn``, with only its loopback up),
starts the engine, speaks a question to it over 127.0.0.1 and prints what came back. Without
``unshare`` (or user namespaces) the test skips and says so.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from realtime.protocol.pcm import bytes_for_ms

pytestmark = pytest.mark.engine

ROOT = Path(__file__).resolve().parents[2]

CHILD = r"""
import asyncio, base64, json, socket, sys
from websockets.asyncio.client import connect
from realtime.local.server import EngineServer
from realtime.protocol.pcm import bytes_for_ms, chunk_pcm16, decode_pcm16_base64
from realtime.protocol.wav import read_wav

probe = socket.socket()
probe.settimeout(2)
offline = probe.connect_ex(("1.1.1.1", 443)) != 0
pcm = read_wav(sys.argv[1]).pcm

async def turn(url):
    async with connect(url + "/realtime?model=local") as ws:
        await ws.send(json.dumps({"type": "session.update", "session": {
            "type": "realtime", "audio": {"input": {"turn_detection": None,
            "transcription": {"model": "whisper-1"}}}}}))
        audio = bytes(bytes_for_ms(500)) + pcm + bytes(bytes_for_ms(500))
        for piece in chunk_pcm16(audio, 100):
            chunk = base64.b64encode(piece).decode()
            await ws.send(json.dumps({"type": "input_audio_buffer.append", "audio": chunk}))
        await ws.send(json.dumps({"type": "input_audio_buffer.commit"}))
        await ws.send(json.dumps({"type": "response.create"}))
        transcript, audio_bytes = "", 0
        async for frame in ws:
            event = json.loads(frame)
            kind = event["type"]
            if kind == "conversation.item.input_audio_transcription.completed":
                transcript = event["transcript"]
            elif kind == "response.output_audio.delta":
                audio_bytes += len(decode_pcm16_base64(event["delta"]))
            elif kind == "response.done":
                return transcript, audio_bytes

with EngineServer() as server:
    transcript, audio_bytes = asyncio.run(turn(server.url))
print(json.dumps({"offline": offline, "transcript": transcript, "audio_bytes": audio_bytes,
                  "torch": "torch" in sys.modules}))
"""


def test_a_spoken_turn_works_with_no_network_and_no_torch(tmp_path: Path) -> None:
    unshare, ip = shutil.which("unshare"), shutil.which("ip")
    if unshare is None or ip is None or subprocess.run([unshare, "-rn", "true"]).returncode:
        pytest.skip("needs 'unshare -rn' (util-linux, user namespaces) and 'ip' (iproute2)")
    script = tmp_path / "child.py"
    script.write_text(CHILD, encoding="utf-8")
    wav = ROOT / "tests" / "fixtures" / "audio" / "what_time_tokyo.wav"
    result = subprocess.run(
        [
            unshare,
            "-rn",
            "sh",
            "-c",
            f'{ip} link set lo up && exec "$0" "$@"',
            sys.executable,
            str(script),
            str(wav),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "HOME": str(Path.home()), "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["offline"] is True
    assert "tokyo" in outcome["transcript"].lower()
    assert outcome["audio_bytes"] > bytes_for_ms(500)  # more than half a second of spoken answer
    assert outcome["torch"] is False

"""Benchmark of the local engine: spoken questions over a real socket, at real-time pace.

Run: ``python bench/local_engine.py [--questions N]``. It starts the engine in-process on a free
port (models loaded first), then for each question: speech made by the engine's own Piper voice
is streamed in 20 ms ``input_audio_buffer.append`` chunks at real-time pace, followed by 1.2 s
of silence, into a session offering the travel tools. When the answer is a function call, the
client runs the tool at once (``realtime.tools``) and asks for the spoken answer, as the app
does. It prints, per question and overall:

* latency from ``input_audio_buffer.speech_stopped`` to the first ``response.output_audio.delta``
  of the spoken answer (median and worst), the figure a user feels, for all answers and
  separately for answers without a tool and with one (the client's tool round trip included);
* listening ahead: guesses started at a pause, used at ``speech_stopped``, dropped, the CPU
  spent on dropped ones, and the CPU spent on partial transcripts (process CPU while each ran);
* the ASR real-time factor (Whisper time / audio length, on the questions) and the TTS
  real-time factor (Piper time / audio length, on the answers);
* peak memory of the process (server and client: ``resource.getrusage`` max RSS).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import dataclasses
import json
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from websockets.asyncio.client import connect  # noqa: E402

from realtime.local.engine import Engine  # noqa: E402
from realtime.local.server import EngineServer  # noqa: E402
from realtime.local.session.guesses import AheadCounts  # noqa: E402
from realtime.local.stages.asr.whisper import FasterWhisperTranscriber  # noqa: E402
from realtime.local.stages.tts.piper import PiperSynthesizer  # noqa: E402
from realtime.protocol.pcm import bytes_for_ms, chunk_pcm16, duration_ms  # noqa: E402
from realtime.tools import default_registry  # noqa: E402

QUESTIONS = (
    "What time is it in Tokyo?",
    "How far is it from Paris to New York?",
    "Which airport is LHR?",
    "Hello, who are you?",
    "How long is the flight from London to Sydney?",
    "What can you do?",
    "What time is it in Chicago right now?",
)
CHUNK_MS = 20


async def ask(url: str, pcm: bytes) -> dict[str, Any]:
    """One spoken question in a fresh session; returns timings and the answer."""
    async with connect(url) as ws:
        await ws.recv()  # session.created
        session = {
            "type": "realtime",
            "tools": default_registry.definitions(),
            "audio": {"input": {"transcription": {"model": "whisper-1"}}},
        }
        await ws.send(json.dumps({"type": "session.update", "session": session}))
        audio = bytes(bytes_for_ms(300)) + pcm + bytes(bytes_for_ms(1200))
        marks: dict[str, float] = {}
        result: dict[str, Any] = {}

        async def send_audio() -> None:
            start = time.perf_counter()
            for i, chunk in enumerate(chunk_pcm16(audio, CHUNK_MS)):
                delay = start + i * CHUNK_MS / 1000 - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)  # real-time pace, as a microphone would
                payload = base64.b64encode(chunk).decode()
                await ws.send(json.dumps({"type": "input_audio_buffer.append", "audio": payload}))

        sender = asyncio.create_task(send_audio())
        async for frame in ws:
            event = json.loads(frame)
            kind = event["type"]
            now = time.perf_counter()
            if kind == "input_audio_buffer.speech_stopped":
                marks["stopped"] = now
            elif kind == "conversation.item.input_audio_transcription.completed":
                result["heard"] = event["transcript"]
            elif kind == "response.output_audio.delta":
                marks.setdefault("first_audio", now)
            elif kind == "response.function_call_arguments.done":
                output = default_registry.call(event["name"], event["arguments"]).output
                result["call"] = f"{event['name']}({event['arguments']})"
                item = {
                    "type": "function_call_output",
                    "call_id": event["call_id"],
                    "output": output,
                }
                await ws.send(json.dumps({"type": "conversation.item.create", "item": item}))
            elif kind == "response.done":
                if event["response"]["output"][-1]["type"] == "function_call":
                    await ws.send(json.dumps({"type": "response.create"}))
                    continue
                result["answer"] = event["response"]["output"][0]["content"][0]["transcript"]
                break
        await sender
        result["latency"] = marks["first_audio"] - marks["stopped"]
        return result


def realtime_factors(engine: Engine, clips: list[bytes], answers: list[str]) -> tuple[float, float]:
    transcriber = engine.transcriber
    started = time.perf_counter()
    for pcm in clips:
        transcriber.transcribe(pcm)
    asr = (time.perf_counter() - started) / (sum(duration_ms(len(c)) for c in clips) / 1000)
    voice = PiperSynthesizer()
    started, spoken_ms = time.perf_counter(), 0.0
    for text in answers:
        spoken_ms += duration_ms(len(voice.synthesize(text)))
    tts = (time.perf_counter() - started) / (spoken_ms / 1000)
    return asr, tts


async def main(count: int, *, partials: bool = True) -> None:
    totals = AheadCounts()  # every session's counts of listening ahead, added up
    engine = dataclasses.replace(Engine.default(), partials=partials, ahead_counts=totals)
    started = time.perf_counter()
    engine.warm()
    print(f"models loaded in {time.perf_counter() - started:.1f} s")
    voice = PiperSynthesizer()
    questions = [QUESTIONS[i % len(QUESTIONS)] for i in range(count)]
    clips = [voice.synthesize(q) for q in questions]
    with EngineServer(engine=engine) as server:
        results = []
        for question, pcm in zip(questions, clips, strict=True):
            result = await ask(server.realtime_url(), pcm)
            results.append(result)
            print(f"{result['latency'] * 1000:6.0f} ms  {question!r} heard {result.get('heard')!r}")
            if "call" in result:
                print(f"{'':10}call {result['call']}")
            print(f"{'':10}-> {result['answer']}")
    latencies = [r["latency"] for r in results]
    asr, tts = realtime_factors(engine, clips, [r["answer"] for r in results])
    if not isinstance(engine.transcriber, FasterWhisperTranscriber):
        print("(custom transcriber)")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print()
    print(f"questions                          {len(results)}")
    print(f"speech_stopped -> first audio      {_spread(latencies)}")
    plain = [r["latency"] for r in results if "call" not in r]
    tool = [r["latency"] for r in results if "call" in r]
    print(f"  answers without a tool ({len(plain)})       {_spread(plain)}")
    print(f"  answers with a tool ({len(tool)})          {_spread(tool)}")
    print(
        f"guesses at a pause                 {totals.started} started, {totals.used} used at "
        f"speech_stopped, {totals.dropped} dropped"
    )
    print(f"CPU on dropped speculative work    {totals.wasted_cpu_s:.2f} s")
    print(f"CPU on partial transcripts         {totals.partial_cpu_s:.2f} s")
    print(f"ASR real-time factor (Whisper)     {asr:.2f}")
    print(f"TTS real-time factor (Piper)       {tts:.3f}")
    print(f"peak memory (max RSS)              {peak_mb:.0f} MB")


def _spread(latencies: list[float]) -> str:
    if not latencies:
        return "none"
    median, worst = statistics.median(latencies) * 1000, max(latencies) * 1000
    return f"median {median:.0f} ms, worst {worst:.0f} ms"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=len(QUESTIONS), help="at least 5")
    parser.add_argument(
        "--no-partials", action="store_true", help="no partial transcripts while speaking"
    )
    args = parser.parse_args()
    asyncio.run(main(max(5, args.questions), partials=not args.no_partials))

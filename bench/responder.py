"""Evaluation of the local engine's responder: fixed typed and spoken prompts over a real socket.

Run: ``python bench/responder.py [--responder auto]``. It starts the engine in-process on a free
port (models loaded first) and sends each prompt in a session that offers the travel tools and
one tool of the user's own (``get_weather``, answered here with fixed JSON, as a client's
``@tool`` would). Typed prompts are ``conversation.item.create`` + ``response.create``; spoken
prompts are the engine's own Piper voice streamed at real-time pace, then 1.2 s of silence. A
function call is run by this client at once and the spoken answer asked for, as the app does.
Follow-ups share the session of the prompt before them. It prints, per prompt: the answer,
whether the expected tool was called with the expected arguments (``ok``), called wrongly
(``WRONG``) or not at all when one was expected (``missed``), and first-audio latency: from
``input_audio_buffer.speech_stopped`` (spoken) or from ``response.create`` (typed) to the first
``response.output_audio.delta``; for a spoken prompt also when its transcript and its response
came after ``speech_stopped``. Then the median first audio of the spoken chat turns.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from websockets.asyncio.client import ClientConnection, connect  # noqa: E402

from realtime.local.engine import Engine  # noqa: E402
from realtime.local.server import EngineServer  # noqa: E402
from realtime.local.stages.tts.piper import PiperSynthesizer  # noqa: E402
from realtime.protocol.pcm import bytes_for_ms, chunk_pcm16  # noqa: E402
from realtime.tools import default_registry  # noqa: E402

WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "Current weather for a city.",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string", "description": "the city"}},
        "required": ["city"],
    },
}
CHUNK_MS = 20


@dataclass(frozen=True)
class Prompt:
    kind: str  # chat | facts | travel | follow-up | own tool
    text: str
    spoken: bool = False
    call: tuple[str, dict[str, Any]] | None = None  # the expected tool call
    follows: bool = False  # same session as the prompt before


PROMPTS = (
    Prompt("chat", "Tell me a joke about cats."),
    Prompt("chat", "Give me one tip for sleeping on a long flight."),
    Prompt("facts", "What is the capital of France?"),
    Prompt("travel", "What time is it in Tokyo?", call=("get_local_time", {"place": "Tokyo"})),
    Prompt(
        "travel",
        "How far is it from Paris to New York?",
        call=("get_flight_estimate", {"origin": "Paris", "destination": "New York"}),
    ),
    Prompt("follow-up", "My name is Ana and I live in Lisbon."),
    Prompt("follow-up", "What is my name?", follows=True),
    Prompt("own tool", "What's the weather in Oslo?", call=("get_weather", {"city": "Oslo"})),
    Prompt("chat", "Tell me a joke about dogs.", spoken=True),
    Prompt("chat", "Say something nice about Mondays.", spoken=True),
    Prompt("chat", "Tell me a fun fact about the sea.", spoken=True),
    Prompt("facts", "What is the capital of Italy?", spoken=True),
    Prompt(
        "travel",
        "What time is it in Paris?",
        spoken=True,
        call=("get_local_time", {"place": "Paris"}),
    ),
)


@dataclass
class Result:
    prompt: Prompt
    answer: str = ""
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    latency: float | None = None
    heard: float | None = None  # spoken: speech_stopped -> the turn's transcript
    created: float | None = None  # spoken: speech_stopped -> response.created

    @property
    def tool(self) -> str:
        expected = self.prompt.call
        if expected is None:
            return "WRONG" if self.calls else "-"
        if not self.calls:
            return "missed"
        return "ok" if self.calls[0] == expected else "WRONG"


def run_tool(name: str, arguments: str) -> str:
    if name == "get_weather":
        return json.dumps(
            {"city": json.loads(arguments).get("city"), "sky": "clear", "celsius": 12}
        )
    return default_registry.call(name, arguments).output


async def send(ws: ClientConnection, kind: str, **fields: Any) -> None:
    await ws.send(json.dumps({"type": kind, **fields}))


async def turn(ws: ClientConnection, prompt: Prompt, clip: bytes | None) -> Result:
    result = Result(prompt)
    start = 0.0
    sender: asyncio.Task[None] | None = None
    if clip is None:
        item = {
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": prompt.text}],
        }
        await send(ws, "conversation.item.create", item=item)
        start = time.perf_counter()
        await send(ws, "response.create")
    else:
        # Streamed beside the reading below, so each event is timed when it arrives, not
        # after the last chunk of the trailing silence was sent.
        sender = asyncio.create_task(speak(ws, clip))
    try:
        return await read_turn(ws, result, start)
    finally:
        if sender is not None:
            await sender  # the rest of the silence (a cancelled send would close the socket)


async def speak(ws: ClientConnection, clip: bytes) -> None:
    audio = bytes(bytes_for_ms(300)) + clip + bytes(bytes_for_ms(1200))
    began = time.perf_counter()
    for i, chunk in enumerate(chunk_pcm16(audio, CHUNK_MS)):
        delay = began + i * CHUNK_MS / 1000 - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)  # real-time pace, as a microphone would
        await send(ws, "input_audio_buffer.append", audio=base64.b64encode(chunk).decode())


async def read_turn(ws: ClientConnection, result: Result, start: float) -> Result:
    async for frame in ws:
        event = json.loads(frame)
        kind, now = event["type"], time.perf_counter()
        if kind == "input_audio_buffer.speech_stopped":
            start = now
        elif kind == "response.output_audio.delta" and result.latency is None:
            result.latency = now - start
        elif kind == "conversation.item.input_audio_transcription.completed":
            result.heard = now - start
        elif kind == "response.created" and result.created is None and start:
            result.created = now - start
        elif kind == "response.function_call_arguments.done":
            result.calls.append((event["name"], json.loads(event["arguments"])))
            output = run_tool(event["name"], event["arguments"])
            item = {"type": "function_call_output", "call_id": event["call_id"], "output": output}
            await send(ws, "conversation.item.create", item=item)
        elif kind == "response.done":
            output = event["response"]["output"]
            if output and output[-1]["type"] == "function_call":
                await send(ws, "response.create")
                continue
            content = output[0]["content"][0] if output else {}
            result.answer = content.get("transcript") or content.get("text") or ""
            return result
    return result


async def main(responder: str) -> None:
    engine = Engine.default(responder=responder)
    started = time.perf_counter()
    engine.warm()
    print(
        f"models loaded in {time.perf_counter() - started:.1f} s; answers: {engine.responder_name}"
    )
    voice = PiperSynthesizer()
    clips = {p.text: voice.synthesize(p.text) for p in PROMPTS if p.spoken}
    session = {
        "type": "realtime",
        "tools": [*default_registry.definitions(), WEATHER],
        "audio": {"input": {"transcription": {"model": "whisper-1"}}},
    }
    results: list[Result] = []
    with EngineServer(engine=engine) as server:
        ws: ClientConnection | None = None
        for prompt in PROMPTS:
            if ws is None or not prompt.follows:
                if ws is not None:
                    await ws.close()
                ws = await connect(server.realtime_url(), max_size=None)
                await ws.recv()  # session.created
                await send(ws, "session.update", session=session)
            results.append(await turn(ws, prompt, clips.get(prompt.text)))
            r = results[-1]
            ms = f"{r.latency * 1000:6.0f}" if r.latency is not None else "     -"
            mode = "spoken" if prompt.spoken else "typed"
            print(f"{ms} ms  {r.tool:6}  {prompt.kind:9} {mode:6}  {prompt.text}")
            if r.heard is not None and r.created is not None:
                heard, created = r.heard * 1000, r.created * 1000
                print(f"{'':10}transcript +{heard:.0f} ms, response.created +{created:.0f} ms")
            for name, arguments in r.calls:
                print(f"{'':10}call {name}({json.dumps(arguments)})")
            print(f"{'':10}-> {r.answer}")
        if ws is not None:
            await ws.close()
    chat = [r.latency for r in results if r.prompt.spoken and not r.prompt.call and r.latency]
    with_tools = [r for r in results if r.prompt.call]
    print()
    print(f"tool calls right        {sum(r.tool == 'ok' for r in with_tools)} of {len(with_tools)}")
    print(
        f"no call where none due  {sum(r.tool == '-' for r in results if not r.prompt.call)} of "
        f"{sum(not r.prompt.call for r in results)}"
    )
    if chat:
        median, worst = statistics.median(chat) * 1000, max(chat) * 1000
        print(f"spoken chat turns, speech_stopped -> first audio  median {median:.0f} ms", end="")
        print(f", worst {worst:.0f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responder", default="auto", help="as for python -m realtime.local")
    asyncio.run(main(parser.parse_args().responder))

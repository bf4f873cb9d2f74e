"""Mouth to ear: from the end of the user's speech to the first sound of the answer, measured from
outside the app, and the engine alone over a socket with the same audio, side by side.

Run: ``python bench/mouth_to_ear.py [--rounds N] [--modes server_vad,semantic_vad]
[--app-only | --engine-only]`` (needs Debian's Chromium at /usr/bin/chromium and Playwright's
Python package, as the browser test does). Everything runs in the main thread except the
engine client's asyncio tasks; what flows through it is spoken audio out and timings back.

**The questions.** Plain ones and ones needing a tool, spoken by the engine's own Piper voice
without its random variation (``tests/support/speech.py``), laid end to end in one track: a
lead-in of silence (the page connects meanwhile), then each question followed by ``--gap``
seconds of silence, all questions ``--rounds`` times. The gap leaves room for the whole answer
(two or three spoken sentences from the bundled engine) plus its delay, so the next question
never interrupts it; a turn whose question ends while an answer still plays is left out of the
figures (listed, with the reason). Where each question's speech starts and ends in the track is
measured on the samples, with the same level threshold and window as the browser's taps.

**The app.** ``streamlit run app.py`` on a free loopback port, no key (the bundled engine
answers), as the browser test serves it. For each turn-detection mode, a fresh headless
Chromium whose fake microphone plays the track as a WAV (Chromium loops the file: it is read
for exactly one pass of the track after the microphone opens, so every question is heard once;
one page per mode instead of one per question keeps the conversation and its warm state, as a
user's session would, and the first turn after START shows how a fresh session starts). The
sidebar's turn detection radio is set before START. ``bench/ear_taps.py`` is injected into every
frame (the component is an iframe): Web Audio analysers on the microphone stream the page sends
and on the remote track it plays. End of speech = the last poll above the threshold before at
least 1.5 s below it (pauses between words are shorter); answer = the first rise above the
threshold on the remote track after it. The microphone's spans are matched to the track's
questions by their time since the microphone opened.

**The engine alone.** ``python -m realtime.local --port 0`` in a child process (its key in the
environment), its URL read from what it prints. One session per mode, configured as the app
configures it (same turn detection, transcription, the travel tools); the track streamed as
``input_audio_buffer.append`` of 20 ms, each sent when its audio would have been captured
(real time). End of speech = its place in the track; answer = the first
``response.output_audio.delta`` of a response that had sent none before. Tool calls are run at
once and answered, as the app does. The app runs first, then stops; the engine runs after, so
they never share the CPU.

It prints a table (mode, question kind, n, median, worst, for the app and the engine, and the
app's share: app median minus engine median), the first turn of each session against the median
of the others, every turn, and the targets of issue 18 with whether each is met. It gates
nothing and always exits 0: the figures describe this machine at that moment (print the load).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.app_split import in_app_ms  # noqa: E402
from bench.ear_taps import READ_SCRIPT, TAP_SCRIPT, Recording, speech_bounds  # noqa: E402
from realtime.protocol.resample import convert_pcm16  # noqa: E402
from realtime.protocol.session_schema import SERVER_VAD_DEFAULTS  # noqa: E402
from realtime.protocol.wav import write_wav  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
QUESTIONS = (
    ("plain", "Hello, how are you?"),
    ("plain", "What can you do?"),
    ("tool", "What time is it in Tokyo?"),
    ("tool", "How far is it from Paris to Berlin?"),
)
MODES = ("server_vad", "semantic_vad")
MODE_LABELS = {"server_vad": "Server VAD", "semantic_vad": "Semantic VAD"}
RATE = 24000
LEAD_S = 6.0  # silence before the first question: START, ICE, the bridge's session
CHUNK_MS = 20
MIC_MERGE_MS = 1500  # pauses inside a question are shorter; questions are --gap apart
ANSWER_MERGE_MS = 400  # pauses inside an answer are shorter
# The app's session (realtime/ui/settings.py's defaults for the local provider), for the engine.
INSTRUCTIONS = "You are a helpful, concise voice assistant. Answer in one or two short sentences."
TARGETS_MS = {"median": 700, "worst": 1000, "semantic": 450, "share": 100, "first": 100}


@dataclass(frozen=True)
class Question:
    kind: str
    text: str
    start_s: float  # speech bounds in the track
    end_s: float


@dataclass(frozen=True)
class Track:
    pcm: bytes  # 24 kHz mono PCM16
    questions: list[Question]

    @property
    def seconds(self) -> float:
        return len(self.pcm) / 2 / RATE


@dataclass
class Turn:
    side: str  # "app" or "engine"
    mode: str
    order: int  # turn number in its session, from 0
    kind: str
    text: str
    latency_ms: float | None
    note: str = ""
    in_app_ms: float | None = None  # the app's turns with --save: the part inside the app server


def build_track(rounds: int, gap_s: float) -> Track:
    from tests.support.speech import steady_speech

    spoken = {text: steady_speech(text) for _, text in QUESTIONS}
    pcm = bytearray(int(LEAD_S * RATE) * 2)
    questions = []
    for _ in range(rounds):
        for kind, text in QUESTIONS:
            begin, end = speech_bounds(spoken[text], RATE)
            offset = len(pcm) / 2 / RATE
            questions.append(Question(kind, text, offset + begin, offset + end))
            pcm += spoken[text] + bytes(int(gap_s * RATE) * 2)
    return Track(bytes(pcm), questions)


# ---- the app, in headless Chromium ---------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve_app(log: Any) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if "API_KEY" not in k}
    process = subprocess.Popen(
        [
            sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
            "--server.address", "127.0.0.1", "--server.port", str(port),
            "--server.headless", "true", "--browser.gatherUsageStats", "false",
            "--server.fileWatcherType", "none",
        ],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.2)
    return process, f"http://127.0.0.1:{port}/"


def stop(process: subprocess.Popen[Any]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def run_app(modes: list[str], track: Track, folder: Path, save: Path | None) -> list[Turn]:
    from playwright.sync_api import sync_playwright

    from tests.support.webrtc_page import press_start

    wav = folder / "questions.wav"
    write_wav(wav, convert_pcm16(track.pcm, RATE, to_rate=48000), rate=48000)
    args = [
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={wav}", "--autoplay-policy=no-user-gesture-required",
    ]  # fmt: skip
    log_path = folder / "streamlit.log"
    turns: list[Turn] = []
    with log_path.open("wb") as log:
        app, url = serve_app(log)
        started, output = time.monotonic(), ""
        try:
            with sync_playwright() as pw:
                for mode in modes:
                    browser = pw.chromium.launch(executable_path=CHROMIUM, args=args)
                    try:
                        context = browser.new_context(viewport={"width": 1280, "height": 1400})
                        context.add_init_script(TAP_SCRIPT)
                        tab = context.new_page()
                        tab.goto(url, wait_until="domcontentloaded")
                        tab.get_by_text("offline engine", exact=False).first.wait_for(
                            timeout=120_000
                        )
                        if mode != "server_vad":
                            tab.get_by_text(MODE_LABELS[mode], exact=True).first.click()
                            tab.get_by_text("Eagerness").first.wait_for(timeout=30_000)
                        print(f"app, {mode}: START {time.monotonic() - started:.0f} s after launch")
                        press_start(tab)
                        raw = _listen(tab, track)
                        recording = Recording.from_page(raw)
                        turns += app_turns(recording, track, mode)
                        if save is not None:
                            (save / f"taps-{mode}.json").write_text(json.dumps(raw))
                            _save_events(tab, save / f"events-{mode}.jsonl")
                            _split(turns, mode, save / f"events-{mode}.wav", track)
                    except Exception as exc:  # a benchmark reports what it got
                        print(f"app, {mode} failed: {type(exc).__name__}: {exc}")
                    finally:
                        browser.close()
            output = log_path.read_text(errors="replace")  # before its shutdown's own noise
        finally:
            stop(app)
    if save is not None:
        (save / "streamlit.log").write_text(output)
    if "Traceback" in output:
        tail = output.rsplit("Traceback", 1)[1].splitlines()[1:]
        last = [line for line in tail if line and not line[0].isspace()][:1]
        print(f"the app logged {output.count('Traceback')} traceback(s), the last ending in:")
        print(f"  {last[0] if last else '?'} (--save keeps its log)")
    return turns


def _save_events(page: Any, path: Path) -> None:
    """The app's own event log and its conversation audio (what the engine heard, left; the
    answers, right), kept with --save; a failed download costs only those files (the page's
    screenshot is kept instead)."""
    from tests.support.webrtc_page import download_path

    try:
        shutil.copy(download_path(page, "Events (.jsonl)"), path)
        shutil.copy(download_path(page, "Audio (.wav)"), path.with_suffix(".wav"))
    except Exception as exc:
        print(f"  (the event log was not saved: {type(exc).__name__}: {exc})")
        with contextlib.suppress(Exception):
            page.screenshot(path=str(path.with_suffix(".png")), full_page=True)


def _split(turns: list[Turn], mode: str, wav: Path, track: Track) -> None:
    """The part of each of ``mode``'s app turns spent inside the app server, from the saved
    conversation audio (``bench/app_split.py``)."""
    if not wav.exists():
        return
    starts = [1000 * q.start_s for q in track.questions]
    split = in_app_ms(wav, starts, user_merge_ms=MIC_MERGE_MS, answer_merge_ms=ANSWER_MERGE_MS)
    if split is None:
        print("  the conversation audio does not hold one span per question: no split")
        return
    spent, drifts = split
    stalls = [f"{d:.0f} ms before question {n}" for n, d in enumerate(drifts) if abs(d) >= 100]
    if stalls:
        print(f"  the microphone's audio reached the bridge late (recording drift): {stalls}")
    for turn in turns:
        if turn.side == "app" and turn.mode == mode and turn.latency_ms is not None:
            turn.in_app_ms = spent[turn.order]


def _listen(page: Any, track: Track) -> dict[str, Any]:
    """Wait for one pass of the track after the microphone opened; the taps' recording."""
    raw = None
    deadline = time.monotonic() + 60
    while raw is None and time.monotonic() < deadline:
        raw = _read(page)
        if raw is None or not raw["captures"]:
            raw = None
            time.sleep(0.2)
    if raw is None:
        raise RuntimeError("the page never opened its microphone (no getUserMedia seen)")
    opened_s = raw["captures"][0] / 1000
    time.sleep(max(0.0, opened_s + track.seconds - 0.3 - time.time()))
    raw = _read(page)
    if raw is None:
        raise RuntimeError("the taps' recording went away (the component's frame reloaded?)")
    return raw


def _read(page: Any) -> dict[str, Any] | None:
    for frame in page.frames:
        try:
            raw = frame.evaluate(READ_SCRIPT)
        except Exception:  # frames come and go while the page reruns
            continue
        if raw and any(name.startswith("mic") for name, _ in raw["taps"]):
            return dict(raw)
    return None


def _print_taps(recording: Recording) -> None:
    """What the taps saw besides the turns: errors, extra microphones, peaks, connection."""
    for error in recording.errors:
        print(f"  the taps failed in the page: {error}")
    if len(recording.captures) > 1:
        print(f"  the page opened the microphone {len(recording.captures)} times; timing the first")
    peaks = ", ".join(f"{k} {v:.0f} dBFS" for k, v in sorted(recording.peak_dbfs.items()))
    print(f"  taps: {', '.join(sorted(recording.started))}; peaks {peaks}")
    if recording.connected:
        connected = recording.connected - recording.captures[0]
        print(f"  peer connected {connected:.0f} ms after the microphone opened")


def _app_latency(
    span: tuple[float, float],
    later: float,
    onsets: list[float],
    playing: list[tuple[float, float]],
) -> tuple[float | None, str]:
    """One question's latency on the page (ms), or None, and the note that goes with it."""
    start, end = span
    answer = next((t for t in onsets if t > end), None)
    if any(a <= end < b for a, b in playing):
        return None, "an answer still played when the question ended; left out"
    if answer is None or answer > later:
        return None, "no answer before the next question"
    if any(start < t < end for t in onsets):
        return answer - end, "the remote track sounded during the question (barge-in)"
    return answer - end, ""


def app_turns(recording: Recording, track: Track, mode: str) -> list[Turn]:
    _print_taps(recording)
    mics = sorted((t, name) for name, t in recording.started.items() if name.startswith("mic"))
    if not mics:
        print("  no microphone audio reached the taps")
        return []
    opened = mics[0][0]
    spans = recording.segments("mic", MIC_MERGE_MS)
    onsets = recording.onsets("remote")
    playing = recording.segments("remote", ANSWER_MERGE_MS)
    turns: list[Turn] = []
    heard: set[int] = set()
    shifts, stretches = [], []
    for i, (start, end) in enumerate(spans):
        offset = (start - opened) / 1000
        if offset > track.seconds - 0.5:
            break  # the file's next loop
        match = [n for n, q in enumerate(track.questions) if abs(q.start_s - offset) < 1.5]
        if not match:
            print(f"  sound on the microphone at {offset:.1f} s matches no question; left out")
            continue
        n = match[0]
        question = track.questions[n]
        heard.add(n)
        shifts.append(1000 * (offset - question.start_s))
        stretches.append((end - start) - 1000 * (question.end_s - question.start_s))
        later = spans[i + 1][0] if i + 1 < len(spans) else float("inf")
        latency, note = _app_latency((start, end), later, onsets, playing)
        turns.append(Turn("app", mode, n, question.kind, question.text, latency, note))
    for n, question in enumerate(track.questions):
        if n not in heard:
            turns.append(Turn("app", mode, n, question.kind, question.text, None, "not heard"))
    if shifts:
        print(
            f"  microphone vs track: speech starts {statistics.median(shifts):+.0f} ms after its"
            f" place in the file (median), lasts {statistics.median(stretches):+.0f} ms longer"
        )
    return sorted(turns, key=lambda t: t.order)


# ---- the engine alone, over its socket ----------------------------------------------------


def run_engine(modes: list[str], track: Track, folder: Path) -> list[Turn]:
    key = secrets.token_urlsafe(24)
    env = {**os.environ, "REALTIME_LOCAL_API_KEY": key}
    with (folder / "engine.log").open("wb") as log:
        engine = subprocess.Popen(
            [sys.executable, "-m", "realtime.local", "--port", "0"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=log, text=True,
        )  # fmt: skip
        try:
            url = _engine_url(engine)
            turns: list[Turn] = []
            for mode in modes:
                print(f"engine, {mode}: streaming {track.seconds:.0f} s of audio")
                turns += asyncio.run(engine_session(url, key, mode, track))
            return turns
        finally:
            stop(engine)


def _engine_url(engine: subprocess.Popen[str]) -> str:
    assert engine.stdout is not None
    for line in engine.stdout:
        if "listening on " in line:
            return line.split("listening on ", 1)[1].split()[0]
    raise RuntimeError(f"the engine exited ({engine.wait()}) without printing its URL")


def session_update(mode: str) -> dict[str, Any]:
    from realtime.tools import default_registry  # the app's own tool kit (app.py imports it too)

    if mode == "server_vad":
        turn = {"type": "server_vad", **SERVER_VAD_DEFAULTS}
    else:
        turn = {"type": mode, "eagerness": "auto", "create_response": True}
        turn["interrupt_response"] = True
    pcm = {"type": "audio/pcm", "rate": RATE}
    session = {
        "type": "realtime",
        "instructions": INSTRUCTIONS,
        "output_modalities": ["audio"],
        "audio": {
            "input": {
                "format": pcm,
                "turn_detection": turn,
                "transcription": {"model": "whisper-1"},
            },
            "output": {"format": pcm},
        },
        "tools": default_registry.definitions(),
        "tool_choice": "auto",
    }
    return {"type": "session.update", "session": session}


@dataclass
class _Heard:
    first_audio: dict[str, float] = field(default_factory=dict)  # response id -> first delta
    audio_bytes: dict[str, int] = field(default_factory=dict)  # response id -> PCM16 bytes
    said: dict[str, str] = field(default_factory=dict)  # response id -> transcript
    stopped: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


async def _stream(ws: Any, pcm: bytes, start: float) -> None:
    """Send the track as 20 ms appends, each when a microphone would have captured it."""
    size = RATE * 2 * CHUNK_MS // 1000
    for i in range(0, len(pcm), size):
        due = start + (i + size) / 2 / RATE  # when a microphone would have it
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        chunk = base64.b64encode(pcm[i : i + size]).decode()
        await ws.send(json.dumps({"type": "input_audio_buffer.append", "audio": chunk}))


async def _answer_call(ws: Any, event: dict[str, Any]) -> None:
    """Run a tool call with the app's tool kit and send its output back."""
    from realtime.tools import default_registry

    result = await asyncio.to_thread(default_registry.call, event["name"], event["arguments"])
    item = {"type": "function_call_output", "call_id": event["call_id"]}
    item["output"] = result.output
    await ws.send(json.dumps({"type": "conversation.item.create", "item": item}))


def _note(heard: _Heard, event: dict[str, Any], now: float) -> None:
    """Record what an event says about the answers; events that say nothing are ignored."""
    kind = event["type"]
    if kind == "response.output_audio.delta":
        heard.first_audio.setdefault(event["response_id"], now)
        spoken = heard.audio_bytes.get(event["response_id"], 0)
        spoken += len(base64.b64decode(event["delta"]))
        heard.audio_bytes[event["response_id"]] = spoken
    elif kind == "response.output_audio_transcript.done":
        heard.said[event["response_id"]] = event["transcript"]
    elif kind == "input_audio_buffer.speech_stopped":
        heard.stopped.append(now)
    elif kind == "error":
        heard.errors.append(event["error"].get("message", ""))


def _ends_in_call(event: dict[str, Any]) -> bool:
    """Whether a response.done ends in a function call (its tool output is then awaited)."""
    output = event["response"].get("output") or [{}]
    return bool(output[-1].get("type") == "function_call")


async def engine_session(url: str, key: str, mode: str, track: Track) -> list[Turn]:
    from websockets.asyncio.client import connect

    heard = _Heard()
    headers = {"Authorization": f"Bearer {key}"}
    async with connect(url, additional_headers=headers, max_size=None) as ws:
        await ws.send(json.dumps(session_update(mode)))
        while json.loads(await ws.recv())["type"] != "session.updated":
            pass
        start = time.perf_counter()
        sender = asyncio.create_task(_stream(ws, track.pcm, start))
        calls: list[asyncio.Task[None]] = []
        end = start + track.seconds + 1.0
        while (left := end - time.perf_counter()) > 0:
            try:
                event = json.loads(await asyncio.wait_for(ws.recv(), timeout=left))
            except TimeoutError:
                break
            now, kind = time.perf_counter(), event["type"]
            if kind == "response.function_call_arguments.done":
                calls.append(asyncio.create_task(_answer_call(ws, event)))
            elif kind == "response.done":
                if _ends_in_call(event):
                    await asyncio.gather(*calls)
                    await ws.send(json.dumps({"type": "response.create"}))
            else:
                _note(heard, event, now)
        sender.cancel()
    for message in heard.errors:
        print(f"  engine error: {message}")
    return engine_turns(heard, start, track, mode)


def engine_turns(heard: _Heard, start: float, track: Track, mode: str) -> list[Turn]:
    onsets = sorted((t, r) for r, t in heard.first_audio.items())
    turns, waits = [], []
    for n, question in enumerate(track.questions):
        end = start + question.end_s
        later = start + track.questions[n + 1].start_s if n + 1 < len(track.questions) else 1e18
        answer, response = next(((t, r) for t, r in onsets if t > end), (None, ""))
        stopped = next((t for t in heard.stopped if t > end - 0.2), None)
        if stopped is not None and stopped < later:
            waits.append(1000 * (stopped - end))
        if answer is None or answer > later:
            turns.append(Turn("engine", mode, n, question.kind, question.text, None, "no answer"))
        else:
            latency = 1000 * (answer - end)
            spoken = heard.audio_bytes.get(response, 0) / 2 / RATE
            note = f"{spoken:.1f} s answer: {heard.said.get(response, '')!r}"
            turns.append(Turn("engine", mode, n, question.kind, question.text, latency, note))
    if waits:
        print(f"  engine: end of speech -> speech_stopped median {statistics.median(waits):.0f} ms")
    return turns


# ---- the report ----------------------------------------------------------------------------


def _stats(turns: list[Turn]) -> tuple[int, float | None, float | None]:
    values = [t.latency_ms for t in turns if t.latency_ms is not None]
    if not values:
        return len(turns), None, None
    return len(turns), statistics.median(values), max(values)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def _met(value: float | None, limit: float) -> str:
    if value is None:
        return "not measured"
    return "met" if value <= limit else "NOT met"


def _share(app: float | None, eng: float | None) -> float | None:
    """The app's share: its median minus the engine's, when both are measured."""
    return None if app is None or eng is None else app - eng


def _table(
    turns: list[Turn], modes: list[str]
) -> tuple[dict[tuple[str, str, str], float | None], dict[tuple[str, str], float | None]]:
    """Print the table by mode and question kind; the medians and worsts it found."""
    print()
    print("end of speech -> first answer audio, ms (n: turns; missed answers count in n only)")
    print(f"{'mode':13} {'kind':6} | {'app n':>5} {'median':>7} {'worst':>6} |"
          f" {'eng n':>5} {'median':>7} {'worst':>6} | {'app share':>9}")  # fmt: skip
    medians: dict[tuple[str, str, str], float | None] = {}
    worsts: dict[tuple[str, str], float | None] = {}
    for mode in modes:
        for kind in ("plain", "tool", "all"):
            row = []
            for side in ("app", "engine"):
                chosen = [
                    t for t in turns
                    if t.side == side and t.mode == mode and kind in ("all", t.kind)
                ]  # fmt: skip
                n, median, worst = _stats(chosen)
                medians[side, mode, kind], worsts[side, mode] = median, worst
                row.append(f"{n:5} {_ms(median):>7} {_ms(worst):>6}" if chosen else f"{'':20}")
            share = _share(medians["app", mode, kind], medians["engine", mode, kind])
            print(f"{mode:13} {kind:6} | {row[0]} | {row[1]} | {_ms(share):>9}")
    return medians, worsts


def _first_turns(turns: list[Turn], modes: list[str]) -> dict[str, float | None]:
    """Print each session's first turn against the others; the app's differences by mode."""
    print()
    print("first turn of each session vs the median of the others, ms")
    firsts: dict[str, float | None] = {}
    for side in ("app", "engine"):
        for mode in modes:
            session = sorted((t for t in turns if t.side == side and t.mode == mode),
                             key=lambda t: t.order)  # fmt: skip
            if not session:
                continue
            rest = _stats(session[1:])[1]
            first = session[0].latency_ms
            gap = None if first is None or rest is None else first - rest
            if side == "app":
                firsts[mode] = gap
            print(f"  {side:6} {mode:13} first {_ms(first):>5}, others {_ms(rest):>5},"
                  f" difference {_ms(gap)}")  # fmt: skip
    return firsts


def _every_turn(turns: list[Turn], modes: list[str]) -> None:
    print()
    print("every turn, ms")
    for mode in modes:
        for n in sorted({t.order for t in turns if t.mode == mode}):
            pair = {t.side: t for t in turns if t.mode == mode and t.order == n}
            any_turn = next(iter(pair.values()))
            cells = [_ms(pair[s].latency_ms) if s in pair else "" for s in ("app", "engine")]
            notes = "; ".join(f"{s}: {t.note}" for s, t in pair.items() if t.note)
            app = pair.get("app")
            split = ""
            if app is not None and app.in_app_ms is not None and app.latency_ms is not None:
                legs = app.latency_ms - app.in_app_ms
                split = f" (in the server {_ms(app.in_app_ms)}, WebRTC legs {_ms(legs)})"
            notes = f"  ({notes})" if notes else ""
            print(f"  {mode:13} {n:2} {any_turn.kind:5} app {cells[0]:>5}{split}  engine"
                  f" {cells[1]:>5}  {any_turn.text}{notes}")  # fmt: skip
    split_turns = [t for t in turns if t.in_app_ms is not None and t.latency_ms is not None]
    for mode in modes:
        chosen = [t for t in split_turns if t.mode == mode]
        if chosen:
            inside = statistics.median(t.in_app_ms or 0.0 for t in chosen)
            legs = statistics.median((t.latency_ms or 0.0) - (t.in_app_ms or 0.0) for t in chosen)
            print(f"  {mode}: of the app's time, median {inside:.0f} ms in the server (the"
                  f" bridge's clock, end-of-turn silence included), {legs:.0f} ms on the WebRTC"
                  f" legs (n={len(chosen)})")  # fmt: skip


def _targets(
    modes: list[str],
    medians: dict[tuple[str, str, str], float | None],
    worsts: dict[tuple[str, str], float | None],
    firsts: dict[str, float | None],
) -> None:
    print()
    print("targets (issue 18)")
    if "server_vad" in modes:
        app_median = medians.get(("app", "server_vad", "all"))
        worst = worsts.get(("app", "server_vad"))
        print(f"  server_vad app median <= 700 ms: {_ms(app_median)} -> {_met(app_median, 700)}")
        print(f"  server_vad app worst <= 1000 ms: {_ms(worst)} -> {_met(worst, 1000)}")
    if "semantic_vad" in modes:
        value = medians.get(("app", "semantic_vad", "all"))
        print(f"  semantic_vad app median on complete questions <= 450 ms: {_ms(value)} ->"
              f" {_met(value, 450)}")  # fmt: skip
        print("  semantic_vad hesitant set (<= 1 in 20 cut off early): not measured here")
    for mode in modes:
        share = _share(medians.get(("app", mode, "all")), medians.get(("engine", mode, "all")))
        print(f"  {mode} app share <= 100 ms: {_ms(share)} -> {_met(share, 100)}")
    for mode, gap in firsts.items():
        value = None if gap is None else abs(gap)
        print(f"  {mode} app first turn within 100 ms of the others' median: {_ms(gap)} ->"
              f" {_met(value, 100)}")  # fmt: skip


def report(turns: list[Turn], modes: list[str], load_before: str) -> None:
    medians, worsts = _table(turns, modes)
    firsts = _first_turns(turns, modes)
    _every_turn(turns, modes)
    _targets(modes, medians, worsts, firsts)
    load_after = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    print(f"load average: {load_before} before, {load_after} after ({os.cpu_count()} cores)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2, help="passes over the questions")
    parser.add_argument("--modes", default=",".join(MODES), help="server_vad,semantic_vad")
    parser.add_argument("--gap", type=float, default=18.0, help="silence after each question, s")
    parser.add_argument(
        "--save", type=Path, help="folder for the taps' raw recordings and the app's log"
    )
    side = parser.add_mutually_exclusive_group()
    side.add_argument("--app-only", action="store_true")
    side.add_argument("--engine-only", action="store_true")
    options = parser.parse_args()
    modes = [m.strip() for m in options.modes.split(",") if m.strip()]
    unknown = set(modes) - set(MODES)
    if unknown:
        parser.error(f"unknown mode(s): {', '.join(sorted(unknown))}")
    load_before = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    track = build_track(max(1, options.rounds), max(3.0, options.gap))
    print(f"{len(track.questions)} questions in a {track.seconds:.0f} s track, modes {modes}")
    turns: list[Turn] = []
    with tempfile.TemporaryDirectory(prefix="mouth_to_ear-") as folder:
        if not options.engine_only:
            try:
                if options.save:
                    options.save.mkdir(parents=True, exist_ok=True)
                turns += run_app(modes, track, Path(folder), options.save)
            except Exception as exc:  # a benchmark reports what it got
                print(f"the app run failed: {type(exc).__name__}: {exc}")
        if not options.app_only:
            try:
                turns += run_engine(modes, track, Path(folder))
            except Exception as exc:
                print(f"the engine run failed: {type(exc).__name__}: {exc}")
                log = Path(folder) / "engine.log"
                if log.exists():
                    print(*log.read_text(errors="replace").splitlines()[-20:], sep="\n")
    report(turns, modes, load_before)


if __name__ == "__main__":
    main()

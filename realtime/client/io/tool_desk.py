"""Where a bridge runs the function calls a response asked for, and remembers how they went.

Runs on the bridge thread's asyncio loop; the tool bodies run on the registry's worker threads
(``asyncio.to_thread`` around ``ToolRegistry.call_many``), so the loop never blocks. Every call
becomes a ``ToolRun`` for the page: ``begin`` shows it running, ``record`` its result or error
and duration (both synchronous, so the pump makes them inside ``Publisher.changing()``); ``run``
hands the results back in the calls' order, ready to be sent as ``function_call_output`` items.
"""

from __future__ import annotations

import asyncio
import collections

from realtime.client.core.snapshot import ToolRun
from realtime.client.core.values import FunctionCall
from realtime.tools import ToolCall, ToolRegistry, ToolResult
from realtime.tools.result import error_output

__all__ = ["ToolDesk"]

MAX_KEPT_RUNS = 500


class ToolDesk:
    """Runs calls with a registry (or answers that there is none) and keeps the last runs."""

    def __init__(self, tools: ToolRegistry | None, *, timeout: float | None = None) -> None:
        self._tools = tools
        self._timeout = timeout  # None: the registry's own time limit
        self._runs: collections.OrderedDict[str, ToolRun] = collections.OrderedDict()

    def runs(self) -> tuple[ToolRun, ...]:
        return tuple(self._runs.values())

    def begin(self, calls: tuple[FunctionCall, ...]) -> None:
        """Show the calls as running (call ``run`` next)."""
        for call in calls:
            self._runs[call.call_id] = ToolRun(
                call.call_id, call.name, call.arguments, item_id=call.item_id
            )
        while len(self._runs) > MAX_KEPT_RUNS:
            self._runs.popitem(last=False)

    async def run(self, calls: tuple[FunctionCall, ...]) -> list[ToolResult]:
        """Run the calls off the loop; results in the calls' order, errors included (call
        ``record`` with them next)."""
        requests = [ToolCall(c.name, c.arguments, c.call_id) for c in calls]
        if self._tools is None:
            return [_no_tools(request) for request in requests]
        return await asyncio.to_thread(self._tools.call_many, requests, timeout=self._timeout)

    def record(self, results: list[ToolResult]) -> None:
        """Show how the calls went."""
        for result in results:
            run = self._runs.get(result.call_id)
            if run is not None:
                self._runs[result.call_id] = ToolRun(
                    run.call_id, run.name, run.arguments, result.output, result.ok,
                    result.error, result.duration_ms, run.item_id,
                )  # fmt: skip


def _no_tools(request: ToolCall) -> ToolResult:
    message = "this client has no tools to run"
    return ToolResult(
        request.name, request.call_id, None, error_output(message, "unknown_tool"), False,
        message, 0.0, "unknown_tool",
    )  # fmt: skip

"""The tool registry: definitions for ``session.update`` and time-limited calls.

Threads: tools register at import time; ``definitions()`` runs wherever the session payload is
built; ``call()`` / ``call_many()`` run on the thread that owns the conversation (the bridge, or
the local engine's session) and block it for at most the timeout, while the tool bodies run on
this registry's small worker pool. What flows through: the ``name`` / ``call_id`` /
``arguments`` of ``response.function_call_arguments.done`` in, a frozen ``ToolResult`` out,
whose ``output`` goes back as a ``function_call_output`` item (PROTOCOL.md "Function calling").

Calls never raise on the model's input: unknown tools, bad arguments, a tool that raises and a
tool that runs out of time all come back as error results. A timed-out tool cannot be killed
(Python threads cannot be); it keeps its worker until it returns and its late result is dropped,
so tools should bound their own I/O.
"""

from __future__ import annotations

import concurrent.futures
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar, overload

from realtime.protocol.errors import ConfigError
from realtime.tools.result import ToolCall, ToolFailure, ToolResult, error_output
from realtime.tools.schema import FunctionToolDefinition, ToolSpec, build_spec
from realtime.tools.validate import ArgumentError, validate_arguments

__all__ = ["DEFAULT_TIMEOUT", "ToolRegistry", "default_registry", "tool"]

DEFAULT_TIMEOUT = 10.0
"""Seconds a call may take, counted from when it is submitted."""

F = TypeVar("F", bound=Callable[..., object])
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Outcome:
    value: object
    exc: Exception | None
    duration_ms: float


@dataclass(frozen=True)
class _Pending:
    call: ToolCall
    arguments: dict[str, Any]
    future: concurrent.futures.Future[_Outcome]


class ToolRegistry:
    """Named tools, their Realtime definitions, and a worker pool to run them.

    ``clock`` is a monotonic clock in seconds (injected for tests); ``max_workers`` bounds how
    many tools run at once.
    """

    def __init__(
        self,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        max_workers: int = 4,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self._specs: dict[str, ToolSpec] = {}
        self._timeout = timeout
        self._max_workers = max_workers
        self._clock = clock
        self._lock = threading.Lock()
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None
        self._warm_ups: list[Callable[[], object]] = []
        self._warmed = False

    # -- registration ---------------------------------------------------------------------

    def register(self, func: Callable[..., object], *, name: str | None = None) -> ToolSpec:
        """Add ``func`` as a tool; ``ConfigError`` if it cannot be described or the name is taken.

        Registering the same function again (a module reload) replaces it.
        """
        spec = build_spec(func, name=name)
        with self._lock:
            old = self._specs.get(spec.name)
            if old is not None and _qualname(old.func) != _qualname(func):
                raise ConfigError(
                    f"tool {spec.name}", f"already registered by {_qualname(old.func)}"
                )
            self._specs[spec.name] = spec
        return spec

    def unregister(self, name: str) -> None:
        """Remove a tool (no error if it is not there)."""
        with self._lock:
            self._specs.pop(name, None)

    def add_warm_up(self, load: Callable[[], object]) -> None:
        """Something the tools load lazily (an index, a table) that ``warm`` loads ahead."""
        with self._lock:
            self._warm_ups.append(load)
            self._warmed = False

    def warm(self) -> list[concurrent.futures.Future[object]]:
        """Start the warm-ups on the worker pool, once, without waiting: the first call of a
        tool then does not pay for loading its data while the user waits for an answer."""
        with self._lock:
            loads, self._warmed = ([] if self._warmed else list(self._warm_ups)), True
        pool = self._pool() if loads else None
        return [pool.submit(load) for load in loads] if pool else []

    @overload
    def tool(self, func: F, /, *, name: str | None = None) -> F: ...
    @overload
    def tool(self, func: None = None, /, *, name: str | None = None) -> Callable[[F], F]: ...
    def tool(self, func: F | None = None, /, *, name: str | None = None) -> F | Callable[[F], F]:
        """Decorator: ``@registry.tool`` or ``@registry.tool(name="...")``; returns ``func``."""

        def decorate(target: F) -> F:
            self.register(target, name=name)
            return target

        return decorate if func is None else decorate(func)

    # -- what the session sees ------------------------------------------------------------

    def names(self) -> list[str]:
        return list(self._specs)

    def spec(self, name: str) -> ToolSpec:
        try:
            return self._specs[name]
        except KeyError:
            raise ConfigError("tools", f"unknown tool {name!r}", allowed=self._allowed()) from None

    def definitions(self, enabled: Iterable[str] | None = None) -> list[FunctionToolDefinition]:
        """The session's ``tools`` list: every tool, or those in ``enabled``, in registry order."""
        if enabled is None:
            return [spec.definition() for spec in self._specs.values()]
        wanted = set(enabled)
        unknown = ", ".join(repr(name) for name in sorted(wanted - set(self._specs)))
        if unknown:
            raise ConfigError("tools", f"unknown tool {unknown}", allowed=self._allowed())
        return [spec.definition() for spec in self._specs.values() if spec.name in wanted]

    def __contains__(self, name: object) -> bool:
        return name in self._specs

    def __len__(self) -> int:
        return len(self._specs)

    # -- calls ----------------------------------------------------------------------------

    def call(
        self, name: str, arguments: str, *, call_id: str = "", timeout: float | None = None
    ) -> ToolResult:
        """Run one tool on a worker and wait for it at most ``timeout`` seconds."""
        return self.call_many([ToolCall(name, arguments, call_id)], timeout=timeout)[0]

    def call_many(
        self, calls: Iterable[ToolCall], *, timeout: float | None = None
    ) -> list[ToolResult]:
        """Run several calls concurrently; results come back in the order of ``calls``.

        They share one deadline, ``timeout`` seconds from now.
        """
        limit = self._timeout if timeout is None else timeout
        deadline = self._clock() + limit
        staged = [self._start(call) for call in calls]
        return [
            item if isinstance(item, ToolResult) else self._finish(item, deadline, limit)
            for item in staged
        ]

    def close(self) -> None:
        """Stop the worker pool without waiting; idempotent, safe from any thread.

        A later call starts a fresh pool.
        """
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)

    def __enter__(self) -> ToolRegistry:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- internals ------------------------------------------------------------------------

    def _start(self, call: ToolCall) -> ToolResult | _Pending:
        started = self._clock()
        spec = self._specs.get(call.name)
        if spec is None:
            message = f"unknown tool {call.name!r}; available tools: {self._allowed()}"
            return self._error(call, None, self._since(started), message, "unknown_tool")
        try:
            arguments = validate_arguments(spec.parameters, call.arguments)
        except ArgumentError as exc:
            extra = {} if exc.param is None else {"param": exc.param}
            return self._error(call, None, self._since(started), str(exc), exc.code, **extra)
        future = self._pool().submit(self._run, spec, arguments)
        return _Pending(call, arguments, future)

    def _run(self, spec: ToolSpec, arguments: dict[str, Any]) -> _Outcome:
        # Runs on a worker thread.
        started = self._clock()
        try:
            value = spec.func(**arguments)
        except Exception as exc:  # whatever a tool raises is an error result for the model
            return _Outcome(None, exc, self._since(started))
        return _Outcome(value, None, self._since(started))

    def _finish(self, pending: _Pending, deadline: float, limit: float) -> ToolResult:
        call, arguments = pending.call, pending.arguments
        try:
            outcome = pending.future.result(timeout=max(0.0, deadline - self._clock()))
        except concurrent.futures.TimeoutError:
            pending.future.cancel()
            message = f"{call.name} did not finish within {limit:g} s"
            return self._error(call, arguments, self._since(deadline - limit), message, "timeout")
        exc, took = outcome.exc, outcome.duration_ms
        if isinstance(exc, ToolFailure):
            return self._error(call, arguments, took, str(exc), exc.code, **exc.details)
        if exc is not None:
            logger.warning("tool %s raised %r", call.name, exc)
            message = str(exc) or type(exc).__name__
            kind = type(exc).__name__
            return self._error(call, arguments, took, message, "tool_exception", exception=kind)
        try:
            output = json.dumps(outcome.value, ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError) as err:
            message = f"{call.name} returned a value that is not JSON: {err}"
            return self._error(call, arguments, took, message, "invalid_output")
        return ToolResult(call.name, call.call_id, arguments, output, True, None, took)

    def _error(
        self,
        call: ToolCall,
        arguments: dict[str, Any] | None,
        duration_ms: float,
        message: str,
        code: str,
        **details: Any,
    ) -> ToolResult:
        output = error_output(message, code, **details)
        return ToolResult(
            call.name, call.call_id, arguments, output, False, message, duration_ms, code
        )

    def _since(self, started: float) -> float:
        return (self._clock() - started) * 1000

    def _pool(self) -> concurrent.futures.ThreadPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = concurrent.futures.ThreadPoolExecutor(
                    max_workers=self._max_workers, thread_name_prefix="realtime-tool"
                )
            return self._executor

    def _allowed(self) -> str:
        return ", ".join(self._specs) or "none"


def _qualname(func: Callable[..., object]) -> str:
    return f"{getattr(func, '__module__', '?')}.{getattr(func, '__qualname__', repr(func))}"


default_registry = ToolRegistry()
"""The registry that ``@tool`` fills and the app offers to the session."""


@overload
def tool(func: F, /, *, name: str | None = None) -> F: ...
@overload
def tool(func: None = None, /, *, name: str | None = None) -> Callable[[F], F]: ...
def tool(func: F | None = None, /, *, name: str | None = None) -> F | Callable[[F], F]:
    """Register a module-level function in ``default_registry``; returns it unchanged."""
    if func is None:
        return default_registry.tool(name=name)
    return default_registry.tool(func, name=name)

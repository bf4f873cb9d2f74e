"""Taking the conversation away: the transcript as Markdown or JSON, the audio as one WAV.

The transcript is built on the Streamlit script thread from the bridge's published ``Snapshot`` (its
``items`` and ``tool_runs``), never from wire events, so no session setting or header can reach it;
every text still goes through the ``Redactor`` (a user may read a key aloud or paste one).
Timestamps come from :class:`ItemClock`, an event observer fed on the bridge thread with the other
``on_event`` observers: the first time each item id appeared on the wire (a spoken turn's
``speech_started``, an answer's ``output_item.added``), in seconds from the session's first event.
The audio recorder lives in ``realtime.recording.recorder``.
"""

from __future__ import annotations

import collections
import json
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from realtime.client.core.snapshot import Snapshot, ToolRun
from realtime.client.core.values import Item, McpInfo
from realtime.recording.redact import Redactor

__all__ = [
    "ItemClock",
    "TranscriptEntry",
    "transcript",
    "transcript_from_snapshot",
    "transcript_json",
    "transcript_markdown",
]

_SPEAKERS = {"user": "User", "assistant": "Assistant", "system": "System", "tool": "Tool call"}


class ItemClock:
    """When each conversation item first appeared on the wire; an ``on_event`` observer."""

    def __init__(self, *, max_items: int = 10_000) -> None:
        self._lock = threading.Lock()
        self._first: collections.OrderedDict[str, float] = collections.OrderedDict()
        self._max = max(1, max_items)
        self.origin: float | None = None

    def record(self, direction: str, event: Mapping[str, Any], at: float) -> None:
        item = event.get("item")
        item_id = event.get("item_id") or (item.get("id") if isinstance(item, Mapping) else None)
        with self._lock:
            if self.origin is None:
                self.origin = at
            if isinstance(item_id, str) and item_id not in self._first:
                self._first[item_id] = at
                while len(self._first) > self._max:
                    self._first.popitem(last=False)

    def times(self) -> dict[str, float]:
        """Seconds from the session's first event to each item's first appearance."""
        with self._lock:
            origin = self.origin or 0.0
            return {item_id: round(at - origin, 6) for item_id, at in self._first.items()}


@dataclass(frozen=True)
class TranscriptEntry:
    item_id: str
    speaker: str  # user | assistant | system | tool
    text: str
    at: float | None = None  # seconds from the session's first event
    kind: str = "message"  # message | function_call | function_call_output
    status: str = "completed"
    interrupted_at_ms: int | None = None  # the assistant was cut off after this much audio
    tool: ToolRun | None = None  # the call with its scrubbed arguments and result
    images: tuple[str, ...] = ()  # each image sent as its type and size, never its bytes


def transcript(
    items: Iterable[Item],
    tool_runs: Iterable[ToolRun] = (),
    *,
    times: Mapping[str, float] | None = None,
    redactor: Redactor | None = None,
) -> tuple[TranscriptEntry, ...]:
    """Entries in conversation order; a call's output is shown on its call, not repeated."""
    scrub = (redactor or Redactor()).text
    items = tuple(items)
    times = times or {}
    runs = {run.call_id: run for run in tool_runs}
    outputs = {i.call_id: i.text for i in items if i.type == "function_call_output" and i.call_id}
    calls = {i.call_id for i in items if i.type == "function_call"}
    entries: list[TranscriptEntry] = []
    for item in items:
        if item.type == "function_call_output" and item.call_id in calls:
            continue
        if item.type == "mcp_approval_response":
            continue  # shown on its request
        tool = None
        if item.type == "function_call":
            run = runs.get(item.call_id or "")
            tool = _tool_record(item, run, outputs.get(item.call_id or ""), scrub)
        elif item.type == "mcp_call":
            tool = _mcp_record(item, scrub)
        entries.append(
            TranscriptEntry(
                item_id=item.id,
                speaker="tool" if item.type != "message" else item.role,
                text=scrub(_mcp_text(item) if item.mcp is not None else item.text),
                at=times.get(item.id),
                kind=item.type,
                status=item.status,
                interrupted_at_ms=item.truncated_at_ms,
                tool=tool,
                images=tuple(image.summary for image in item.images),
            )
        )
    for run in runs.values():  # a run whose call item is gone (deleted) still happened
        if run.call_id not in calls:
            record = _tool_record(None, run, None, scrub)
            at = times.get(run.item_id)
            entries.append(
                TranscriptEntry(
                    run.item_id, "tool", record.arguments, at, "function_call", tool=record
                )
            )
    return tuple(entries)


def transcript_from_snapshot(
    snapshot: Snapshot,
    *,
    times: Mapping[str, float] | None = None,
    redactor: Redactor | None = None,
) -> tuple[TranscriptEntry, ...]:
    return transcript(snapshot.items, snapshot.tool_runs, times=times, redactor=redactor)


def _tool_record(
    item: Item | None, run: ToolRun | None, output: str | None, scrub: Callable[[str], str]
) -> ToolRun:
    name = (item.name if item else None) or (run.name if run else "") or ""
    call_id = (item.call_id if item else None) or (run.call_id if run else "") or ""
    arguments = (item.text if item else "") or (run.arguments if run else "")
    if run is not None and run.output is not None:
        output = run.output
    return ToolRun(
        call_id=call_id,
        name=name,
        arguments=scrub(arguments),
        output=None if output is None else scrub(output),
        ok=run.ok if run else None,
        error=scrub(run.error) if run and run.error else None,
        duration_ms=run.duration_ms if run else None,
        item_id=(item.id if item else None) or (run.item_id if run else ""),
    )


def _mcp_record(item: Item, scrub: Callable[[str], str]) -> ToolRun:
    """An MCP call as a tool record: ``server/tool``, arguments, result or error, duration."""
    info = item.mcp or McpInfo()
    done = info.output is not None or info.error is not None or item.status != "in_progress"
    return ToolRun(
        call_id=item.id,
        name=f"{info.server_label}/{item.name or 'tool'}",
        arguments=scrub(item.text),
        output=None if info.output is None else scrub(info.output),
        ok=None if not done else info.error is None and item.status != "failed",
        error=None if info.error is None else scrub(info.error),
        duration_ms=info.duration_ms,
        item_id=item.id,
    )


def _mcp_text(item: Item) -> str:
    """An MCP listing or approval request in words (a call's text is its arguments)."""
    info = item.mcp or McpInfo()
    if item.type == "mcp_list_tools":
        if item.status == "failed":
            return f"MCP server {info.server_label}: listing its tools failed"
        return f"MCP server {info.server_label}: tools {', '.join(info.tools) or 'none'}"
    if item.type == "mcp_approval_request":
        answer = {None: "not answered", True: "approved", False: "denied"}[info.approved]
        return f"MCP server {info.server_label} asked to run {item.name} ({answer}): {item.text}"
    return item.text


def transcript_json(
    entries: Iterable[TranscriptEntry],
    *,
    meta: Mapping[str, Any] | None = None,
    redactor: Redactor | None = None,
) -> str:
    """``{"meta": {...}, "entries": [...]}``, indented; ``meta`` is scrubbed too."""
    clean_meta = (redactor or Redactor()).value(dict(meta or {}))
    document = {"meta": clean_meta, "entries": [asdict(entry) for entry in entries]}
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def transcript_markdown(
    entries: Iterable[TranscriptEntry],
    *,
    title: str = "Conversation transcript",
    meta: Mapping[str, Any] | None = None,
    redactor: Redactor | None = None,
) -> str:
    scrub = (redactor or Redactor()).text
    lines = [f"# {scrub(title)}", ""]
    if meta:
        lines += [f"- {scrub(str(key))}: {scrub(str(value))}" for key, value in meta.items()]
        lines.append("")
    for entry in entries:
        head = f"**{_SPEAKERS.get(entry.speaker, entry.speaker.title())}**"
        if entry.at is not None:
            head += f" [{_clock(entry.at)}]"
        if entry.tool is not None:
            head += f" `{entry.tool.name}`" + _outcome(entry.tool)
        if entry.interrupted_at_ms is not None:
            head += f" _(interrupted after {entry.interrupted_at_ms / 1000:.2f} s)_"
        lines += [head, ""]
        if entry.tool is not None:
            lines += ["Arguments:", "", *_block(entry.tool.arguments), ""]
            if entry.tool.output is not None:
                lines += ["Result:", "", *_block(entry.tool.output), ""]
        else:
            if entry.text or not entry.images:
                lines += [entry.text or "_(audio, no transcript)_", ""]
            if entry.images:
                lines += ["Attached: " + ", ".join(f"`{scrub(i)}`" for i in entry.images), ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def _outcome(tool: ToolRun) -> str:
    if tool.ok is None:
        return ""
    took = f", {tool.duration_ms:.0f} ms" if tool.duration_ms is not None else ""
    return f" ({'ok' if tool.ok else 'failed'}{took})"


def _block(payload: str) -> list[str]:
    """A fenced block, JSON pretty-printed when it parses; the fence outgrows any backticks."""
    try:
        payload, lang = json.dumps(json.loads(payload), ensure_ascii=False, indent=2), "json"
    except ValueError:
        lang = ""
    longest = max((len(run) for run in re.findall(r"`+", payload)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence + lang, payload, fence]


def _clock(seconds: float) -> str:
    minutes, secs = divmod(max(0.0, seconds), 60)
    hours, minutes = divmod(int(minutes), 60)
    text = f"{minutes:02d}:{secs:04.1f}"
    return f"{hours}:{text}" if hours else text

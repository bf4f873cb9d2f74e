"""Voice chat page: microphone and speaker over WebRTC, live transcript, typed turns.

Thin: widgets wired to this session's ``Bridge`` (realtime/client/bridge.py) and its
``SessionRecording`` (realtime/recording/session.py). The sink callback runs on aiortc's loop
and only hands frames to the bridge; the transcript fragment polls the bridge's frozen
snapshot while a session runs, drawing the newest items (the older ones are drawn once per full
run, collapsed: ``realtime.ui.render.conversation``); nothing here touches the protocol. The
bridge starts only through the deployment's guardrails (``realtime.ui.gatekeeper.start_voice``).
"""

from __future__ import annotations

import streamlit as st

from realtime.client.core.config import Provider
from realtime.client.core.snapshot import LinkState
from realtime.ui import media
from realtime.ui.chat_box import chat_box
from realtime.ui.gatekeeper import start_voice, voice_notice
from realtime.ui.local_engine import local_engine
from realtime.ui.render.conversation import (
    engine_restart_line,
    provider_line,
    render_history,
    render_levels,
    render_live,
)
from realtime.ui.render.exports import render_export_buttons
from realtime.ui.render.inspector import render_event_filters, render_events
from realtime.ui.render.metrics import render_metric_strip, session_turns
from realtime.ui.render.transcript import (
    mode_switch,
    render_transcript,
    render_transcript_exports,
)
from realtime.ui.session import (
    CONFIG_KEY,
    ENGINE_RESTARTS_KEY,
    api_key,
    conversation_view,
    priced_turns,
    session_bridge,
)

st.title("Realtime Voice Studio")
config = st.session_state.get(CONFIG_KEY)
if config is None:
    st.info("Fix the settings in the sidebar to start a session.")
    st.stop()
config = mode_switch(config)  # voice chat, or transcription only
transcribe_only = config.session_type == "transcription"

bridge, recording = session_bridge(config, api_key(config))
engine = local_engine() if config.provider is Provider.LOCAL else None
answers, memory = (engine.answers(), engine.memory_mb()) if engine else (None, None)
st.caption(provider_line(config, api_key(config), answers=answers, memory_mb=memory))
# Restarts of the engine child before this browser session began are none of its business.
restarts_before = st.session_state.setdefault(
    ENGINE_RESTARTS_KEY, engine.restarts() if engine else 0
)

ctx = media.webrtc_controls(bridge, start=lambda: start_voice(bridge, config))
if ctx is not None and ctx.state.playing and not bridge.running:
    start_voice(bridge, config)

if config.turn_detection is None:
    left, right = st.columns(2)
    if left.button("Send what I said", type="primary", use_container_width=True):
        bridge.commit()
    if right.button("Discard", use_container_width=True):
        bridge.clear_audio()

# Pinned to the bottom wherever it is called; handled before the fragment, so a typed turn that
# starts the session sets the live pace in this run. A transcription session answers nothing,
# typed or spoken: no text box there. Pictures go with the text (realtime.ui.chat_box).
typed = None if transcribe_only else chat_box(config)
if typed and start_voice(bridge, config) is None:
    bridge.send_text(typed.text, typed.images)

view, priced = conversation_view(), priced_turns()
if not transcribe_only:
    render_history(bridge.snapshot(), view)  # the older items, collapsed: once per full run
polling = bridge.running


# Twice a second while a session runs; an idle tab (nothing started, or stopped) does not poll:
# nothing it shows changes until the visitor acts, and each rerun costs the server CPU
# (bench/streamlit_tabs.py). Starting or stopping reruns the page, which sets the pace again;
# a session that ends on its own (a failure, a limit) reruns it from here.
@st.fragment(run_every=0.5 if polling else None)
def live() -> None:
    snapshot = bridge.snapshot()
    if bridge.running != polling or view.history_due(snapshot):
        st.rerun()  # a new pace, or older items to move to the history
    voice_notice(bridge)  # a limit that refused or stopped the session, in words
    # The link gave up (refused, or dropped again and again): the user decides when to retry.
    if not bridge.running and bridge.snapshot().state is LinkState.FAILED:
        if st.button("Reconnect", icon=":material/refresh:", key="rvs.reconnect"):
            start_voice(bridge, config)
    if engine is not None and (line := engine_restart_line(engine.restarts() - restarts_before)):
        st.info(line, icon=":material/restart_alt:")
    render_levels(bridge)
    if transcribe_only:
        render_transcript(snapshot)
        return
    render_metric_strip(session_turns(bridge, priced))
    render_live(
        snapshot,
        view,
        transcribing=config.transcription is not None,
        on_approval=bridge.mcp_approval,  # MCP approval requests: Approve / Deny
    )


live()

# Keyed: the browser keeps a keyed expander open when what is above it changes.
export_label = "Export the transcript" if transcribe_only else "Export the conversation"
with st.expander(export_label, key="voice.export"):
    if transcribe_only:
        render_transcript_exports(bridge.snapshot(), recording.log.redactor)
    else:
        render_export_buttons(bridge, recording)

with st.expander("Live events", key="voice.live_events"):
    filters = render_event_filters(recording.log, key="voice.events")

    @st.fragment(run_every=2.0 if bridge.running else None)
    def live_events() -> None:
        render_events(recording.log, filters, limit=30)

    live_events()

"""Streamlit glue: the objects one browser session keeps across reruns, and the shared engine.

Runs on the Streamlit script thread only. Everything kept in ``st.session_state`` is created
here, from classes defined in ``realtime/``, so a rerun of a page never changes their identity:
the session's ``Bridge`` and, beside it, its ``SessionRecording`` (event log, item times, both
sides' audio), wired to the bridge through its observer hooks. Pages read both from here.
The API key lives in the bridge (handshake headers only) and in the password widget of the
session that typed it; this module reads it from there and never stores a copy, and registers
it with the recording as a secret before the bridge gets it, so no logged event shows it.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from typing import Any

import streamlit as st

from realtime.client.bridge import Bridge
from realtime.client.config import Provider, SessionConfig
from realtime.client.playback import Playback
from realtime.local.server import EngineServer
from realtime.recording.session import SessionRecording
from realtime.tools import default_registry
from realtime.ui.settings import resolve_api_key
from realtime.ui.tab_watch import TabWatch

__all__ = [
    "CONFIG_KEY",
    "key_widget",
    "api_key",
    "current_bridge",
    "current_recording",
    "ice_servers",
    "local_engine_url",
    "secrets",
    "session_bridge",
]

log = logging.getLogger(__name__)

BRIDGE_KEY = "rvs.bridge"
RECORDING_KEY = "rvs.recording"
OBSERVER_KEY = "rvs.bridge_shutdown_observer"
TAB_WATCH_KEY = "rvs.tab_watch"
CONFIG_KEY = "rvs.config"  # the last valid SessionConfig from the sidebar


def key_widget(provider: Provider) -> str:
    """The password widget of one provider: a key typed for OpenAI is never sent to another
    server after the provider changes (its value stays in this session's state only)."""
    return f"rvs.api_key.{provider.value}"


def secrets() -> Mapping[str, Any]:
    """``st.secrets`` as a mapping, or empty when no secrets file exists."""
    try:
        return dict(st.secrets)
    except Exception:  # st.secrets raises its own error type when no file is present
        return {}


@st.cache_resource(show_spinner="Starting the local engine…")
def _local_engine() -> EngineServer:
    # One engine per Streamlit process, shared by every browser session (one WebSocket session
    # each); models load in the background so the page is not held up.
    return EngineServer(host="127.0.0.1", port=0, preload=True).start()


def local_engine_url() -> str:
    """Base URL of the in-process local engine (``ws://127.0.0.1:PORT/v1``)."""
    return _local_engine().url


def ice_servers() -> list[dict[str, Any]]:
    """ICE servers for WebRTC: ``ice_servers`` in secrets or REALTIME_ICE_SERVERS (JSON).

    None are needed on 127.0.0.1; a shared deployment needs a TURN server (see README).
    """
    configured = secrets().get("ice_servers") or os.environ.get("REALTIME_ICE_SERVERS")
    if not configured:
        return []
    value = json.loads(configured) if isinstance(configured, str) else configured
    return [dict(server) for server in value]


def api_key(provider: Provider) -> str | None:
    """The key for ``provider``: typed in this session's sidebar, else secrets, else env."""
    typed = st.session_state.get(key_widget(provider)) or ""
    return resolve_api_key(provider, str(typed), secrets(), os.environ).key


def current_bridge() -> Bridge | None:
    bridge = st.session_state.get(BRIDGE_KEY)
    return bridge if isinstance(bridge, Bridge) else None


def current_recording() -> SessionRecording | None:
    recording = st.session_state.get(RECORDING_KEY)
    return recording if isinstance(recording, SessionRecording) else None


def session_bridge(config: SessionConfig, api_key: str | None) -> tuple[Bridge, SessionRecording]:
    """This browser session's bridge and its recording, created once; later settings apply
    to the bridge live."""
    bridge, recording = current_bridge(), current_recording()
    if bridge is None or recording is None:
        if bridge is not None:
            bridge.stop()  # never left running without its recording
        recording = SessionRecording(secrets=[api_key] if api_key else ())
        playback = Playback()
        playback.on_played = recording.hear_assistant
        bridge = Bridge(
            config,
            api_key=api_key,
            tools=default_registry,
            playback=playback,
            on_event=recording.observe,
            on_mic_audio=recording.hear_user,
        )
        st.session_state[RECORDING_KEY] = recording
        st.session_state[BRIDGE_KEY] = bridge
    else:
        recording.add_secret(api_key)  # before the bridge can send or log anything with it
        bridge.update_session(config, api_key=api_key)  # a no-op when nothing changed
    from streamlit_webrtc.shutdown import SessionShutdownObserver

    # Stops the thread and socket when the tab closes or the user leaves the page. An observer
    # ends after it fired (a page change), so each run of the page installs a fresh one.
    old = st.session_state.get(OBSERVER_KEY)
    if isinstance(old, SessionShutdownObserver):
        old.stop()
    try:
        st.session_state[OBSERVER_KEY] = SessionShutdownObserver(bridge.stop)
        _watch_tab(bridge)
    except Exception:  # no live Streamlit runtime (a script test): nothing to observe
        log.info("no Streamlit session to observe; the bridge stops on Stop only")
    return bridge, recording


def _watch_tab(bridge: Bridge) -> None:
    """Stop the bridge within a fraction of a second of the tab closing (see tab_watch)."""
    from streamlit.runtime import Runtime
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    watch = st.session_state.get(TAB_WATCH_KEY)
    if isinstance(watch, TabWatch) and watch.alive:
        return
    ctx = get_script_run_ctx()
    if ctx is None or not Runtime.exists():
        return
    runtime = Runtime.instance()
    st.session_state[TAB_WATCH_KEY] = TabWatch(
        ctx.session_id, bridge.stop, is_active=runtime.is_active_session
    )

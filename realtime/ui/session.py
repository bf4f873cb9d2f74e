"""The objects one browser session keeps across reruns, and the key its connection carries.

Runs on the Streamlit script thread only. Everything kept in ``st.session_state`` is created
here, from classes defined in ``realtime/``, so a rerun of a page never changes their identity:
the session's ``Bridge`` and, beside it, its ``SessionRecording`` (event log, item times, both
sides' audio), wired to the bridge through its observer hooks; the sidebar's last valid
``SessionConfig``; the observers that stop the bridge when the tab goes (``tab_watch``); the
voice page's ``ConversationView`` (what it drew last) and ``PricedTurns``. Pages read them
from here.
The API key lives in the bridge (handshake headers only) and in the password widget of the
session that typed it; this module reads it from there and never stores a copy, and registers
it with the recording as a secret before the bridge gets it, so no logged event shows it; so
are the MCP servers' keys and header values (``realtime.ui.mcp_settings``). A
deployer's key goes only to the endpoint configured beside it (``realtime.ui.keys``); every URL
the bridge opens is checked by the deployment's address policy (``realtime.ui.deployment``),
which also lets through the in-process engine's one address (``realtime.ui.local_engine``).
"""

from __future__ import annotations

import logging

import streamlit as st

from realtime.client.core.config import Provider, SessionConfig
from realtime.client.core.mcp import secrets as mcp_secrets
from realtime.client.io.address_policy import AddressPolicy
from realtime.client.io.bridge import Bridge
from realtime.client.io.outbound import checked_opener
from realtime.client.io.playback import Playback
from realtime.recording.session import SessionRecording
from realtime.tools import default_registry
from realtime.ui import deployment
from realtime.ui.keys import BoundKey, bound_key
from realtime.ui.local_engine import local_engine
from realtime.ui.render.conversation import ConversationView
from realtime.ui.render.metrics import PricedTurns
from realtime.ui.tab_watch import TabWatch

__all__ = [
    "ENGINE_RESTARTS_KEY",
    "BRIDGE_KEY",
    "CONFIG_KEY",
    "RECORDING_KEY",
    "VIEW_KEY",
    "api_key",
    "config_key",
    "connect_policy",
    "conversation_view",
    "priced_turns",
    "current_bridge",
    "current_recording",
    "key_widget",
    "session_bridge",
]

log = logging.getLogger(__name__)

BRIDGE_KEY = "rvs.bridge"
RECORDING_KEY = "rvs.recording"
OBSERVER_KEY = "rvs.bridge_shutdown_observer"
TAB_WATCH_KEY = "rvs.tab_watch"
CONFIG_KEY = "rvs.config"  # the last valid SessionConfig from the sidebar
ENGINE_RESTARTS_KEY = "rvs.engine_restarts"  # the local engine's restarts when this session began
VIEW_KEY = "rvs.conversation_view"
PRICED_KEY = "rvs.priced_turns"


def key_widget(provider: Provider) -> str:
    """The password widget of one provider: a key typed for OpenAI is never sent to another
    server after the provider changes (its value stays in this session's state only)."""
    return f"rvs.api_key.{provider.value}"


def _endpoint(config: SessionConfig) -> str:
    return config.azure_endpoint if config.provider is Provider.AZURE else config.base_url


def config_key(config: SessionConfig, typed: str | None = None) -> BoundKey:
    """The key a connection for ``config`` may carry, and a label saying where it came from."""
    if typed is None:
        typed = str(st.session_state.get(key_widget(config.provider)) or "")
    local_key = local_engine().key() if config.provider is Provider.LOCAL else None
    deployed = deployment.current().keys()
    return bound_key(config.provider, _endpoint(config), typed, deployed, local_key=local_key)


def api_key(config: SessionConfig) -> str | None:
    """The key for ``config``: typed in this session's sidebar, else the deployer's own key
    when ``config`` points at the endpoint configured beside it."""
    return config_key(config).key


def connect_policy() -> AddressPolicy:
    """The policy the bridge connects under: the deployment's, plus the in-process engine."""
    return deployment.current().address_policy().trusting(local_engine().addresses())


def current_bridge() -> Bridge | None:
    bridge = st.session_state.get(BRIDGE_KEY)
    return bridge if isinstance(bridge, Bridge) else None


def current_recording() -> SessionRecording | None:
    recording = st.session_state.get(RECORDING_KEY)
    return recording if isinstance(recording, SessionRecording) else None


def conversation_view() -> ConversationView:
    """What the voice page drew of this session's conversation, kept across reruns."""
    view = st.session_state.get(VIEW_KEY)
    if not isinstance(view, ConversationView):
        view = st.session_state[VIEW_KEY] = ConversationView()
    return view


def priced_turns() -> PricedTurns:
    """The voice page's metric strip's turns, priced once per snapshot."""
    kept = st.session_state.get(PRICED_KEY)
    if not isinstance(kept, PricedTurns):
        kept = st.session_state[PRICED_KEY] = PricedTurns()
    return kept


def session_bridge(config: SessionConfig, api_key: str | None) -> tuple[Bridge, SessionRecording]:
    """This browser session's bridge and its recording, created once; later settings apply
    to the bridge live."""
    bridge, recording = current_bridge(), current_recording()
    if bridge is None or recording is None:
        if bridge is not None:
            bridge.stop()  # never left running without its recording
        keys = [api_key] if api_key else []
        recording = SessionRecording(secrets=[*keys, *mcp_secrets(config.mcp_servers)])
        default_registry.warm()  # the tools' tables load now, not during the first answer
        playback = Playback()
        playback.on_played = recording.hear_assistant
        policy, engine = deployment.current().address_policy(), local_engine()

        def current_policy() -> AddressPolicy:
            # Read on the bridge thread: the engine's address is a plain value, no ``st``.
            return policy.trusting(engine.addresses())

        bridge = Bridge(
            config,
            api_key=api_key,
            tools=default_registry,
            playback=playback,
            on_event=recording.observe,
            on_mic_audio=recording.hear_user,
            open_transport=checked_opener(current_policy),
        )
        st.session_state[RECORDING_KEY] = recording
        st.session_state[BRIDGE_KEY] = bridge
    else:
        for secret in (api_key, *mcp_secrets(config.mcp_servers)):
            recording.add_secret(secret)  # before the bridge can send or log anything with it
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

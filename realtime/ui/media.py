"""The WebRTC microphone and speaker of the voice page (streamlit-webrtc), wired to a bridge.

Runs on the Streamlit script thread; the sink callback it installs runs on aiortc's loop and
only hands frames to ``Bridge.push_frame`` (resample and enqueue), and the source track pulls
20 ms frames from the bridge's ``Playback``. If the component cannot start (no live Streamlit
runtime, a browser without WebRTC), the page says so in words and typed turns keep working.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import streamlit as st

from realtime.client.io.bridge import Bridge
from realtime.protocol.facts import SAMPLE_RATE
from realtime.ui import deployment

__all__ = ["webrtc_controls"]

log = logging.getLogger(__name__)
WEBRTC_KEY = "rvs.webrtc"


def webrtc_controls(bridge: Bridge, start: Callable[[], object] | None = None) -> Any:
    """START/STOP and the audio tracks; returns the streamer context, or None if unavailable.

    ``start`` starts the bridge when START is pressed (the voice page passes its guardrails'
    ``start_voice``); ``bridge.start`` by default."""
    from streamlit_webrtc import (
        WebRtcMode,
        create_audio_sink_track,
        create_audio_source_track,
        webrtc_streamer,
    )

    playback = bridge.playback
    if playback is None:
        raise ValueError("the voice page needs a bridge with a Playback")

    def on_change() -> None:
        ctx = st.session_state.get(WEBRTC_KEY)
        if ctx is None:
            return
        if ctx.state.playing:
            (start or bridge.start)()
        elif not ctx.state.signalling:
            bridge.stop()

    try:
        # When the browser's track ends (STOP, a closed tab, a dropped connection), so does the
        # session: Streamlit itself keeps a closed tab's session for minutes.
        sink = create_audio_sink_track(bridge.push_frame, key="rvs.mic", on_ended=bridge.stop)
        source = create_audio_source_track(
            playback.frame, key="rvs.speaker", sample_rate=SAMPLE_RATE, ptime=0.02
        )
        return webrtc_streamer(
            key=WEBRTC_KEY,
            mode=WebRtcMode.SENDRECV,
            rtc_configuration=deployment.current().rtc_configuration(),
            media_stream_constraints={"audio": True, "video": False},
            sink_audio_track=sink,
            source_audio_track=source,
            on_change=on_change,
        )
    except Exception as exc:  # shown in words, never as a traceback
        log.warning("the WebRTC component could not start: %s", exc)
        st.warning(
            "The microphone and speaker could not start here "
            f"({type(exc).__name__}). Typed messages still work.",
            icon=":material/mic_off:",
        )
        return None

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

__all__ = ["prompt_audio_receive", "webrtc_controls"]

log = logging.getLogger(__name__)
WEBRTC_KEY = "rvs.webrtc"


def prompt_audio_receive() -> None:
    """Let aiortc hand each received microphone packet on as soon as the next one arrives.

    aiortc's audio receiver holds four packets (80 ms) in its jitter buffer before it releases
    the oldest, to smooth playout; here nothing plays the microphone out: every frame goes to
    the bridge's queue, which paces its own chunks. So the buffer keeps its reordering (a
    packet still waits for a late predecessor) with one packet of look-ahead, and the end of
    the user's speech reaches the engine 60 ms sooner. Idempotent; video is left as it is.
    """
    from aiortc import jitterbuffer, rtcrtpreceiver

    name = "JitterBuffer"  # the name aiortc's receiver builds its buffers by
    if getattr(getattr(rtcrtpreceiver, name), "prompt_audio", False):
        return

    class PromptJitterBuffer(jitterbuffer.JitterBuffer):
        prompt_audio = True

        def __init__(self, capacity: int, prefetch: int = 0, is_video: bool = False) -> None:
            prefetch = prefetch if is_video else min(prefetch, 1)
            super().__init__(capacity, prefetch=prefetch, is_video=is_video)

    setattr(rtcrtpreceiver, name, PromptJitterBuffer)


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

    prompt_audio_receive()
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

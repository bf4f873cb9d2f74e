"""The WebRTC microphone and speaker of the voice page (streamlit-webrtc), wired to a bridge.

Runs on the Streamlit script thread; the sink callback it installs runs on aiortc's loop and
only hands frames to ``Bridge.push_frame`` (resample and enqueue), and the source track pulls
20 ms frames from the bridge's ``Playback``. If the component cannot start (no live Streamlit
runtime, a browser without WebRTC), the page says so in words and typed turns keep working.

Two tunings of what the libraries do, each for latency (``docs/media.md``):
:func:`prompt_audio_receive` (aiortc's receive buffer) and :func:`prompt_speaker` (when the
speaker track reads the ``Playback``).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable
from typing import Any

import streamlit as st

from realtime.client.io.bridge import Bridge
from realtime.protocol.facts import SAMPLE_RATE
from realtime.ui import deployment

__all__ = ["prompt_audio_receive", "prompt_speaker", "webrtc_controls"]

log = logging.getLogger(__name__)
WEBRTC_KEY = "rvs.webrtc"
_clock = time.monotonic  # the speaker's clock and sleep (a test runs them on a fake clock)
_sleep = asyncio.sleep
# What streamlit-webrtc's AudioSourceTrack keeps its timing in (0.72-0.79): the track is retimed
# only if it has them all, else it keeps the library's timing.
_TRACK_FIELDS = (
    "_started_at",
    "_pts",
    "_samples_per_frame",
    "_sample_rate",
    "_time_base",
    "_call_callback",
)


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


def prompt_speaker(track: Any) -> bool:
    """Make the speaker track read the ``Playback`` when a frame is due, not 20 ms before.

    streamlit-webrtc's ``AudioSourceTrack`` calls its callback as soon as the previous frame has
    left and then sleeps until the new frame's time: assistant audio that reaches the
    ``Playback`` during that sleep waits a whole frame more, 30 ms on average from its arrival
    to the encoder. Retimed, the track sleeps first and reads at the frame's time (10 ms on
    average); pacing, timestamps and the callback are the library's own. True when the track
    is (now) retimed; idempotent."""
    retimed = _due_time_class()
    if isinstance(track, retimed):
        return True
    base = retimed.__base__
    if type(track) is not base or not all(hasattr(track, f) for f in _TRACK_FIELDS):
        log.info("the speaker track keeps streamlit-webrtc's timing (%s)", type(track).__name__)
        return False
    track.__class__ = retimed
    return True


@functools.cache
def _due_time_class() -> type:
    from aiortc.mediastreams import MediaStreamError
    from streamlit_webrtc.source import AudioSourceTrack

    class DueTimeAudioSourceTrack(AudioSourceTrack):
        """``AudioSourceTrack`` that sleeps until a frame is due, then reads it."""

        async def recv(self) -> Any:
            if self.readyState != "live":
                raise MediaStreamError
            if self._started_at is None or self._pts is None:
                self._started_at, self._pts = _clock(), 0
            else:
                self._pts += self._samples_per_frame
                wait = self._started_at + self._pts / self._sample_rate - _clock()
                if wait > 0:
                    await _sleep(wait)
            return self._call_callback(self._pts, self._time_base)

    return DueTimeAudioSourceTrack


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
        prompt_speaker(source)
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

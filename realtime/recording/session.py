"""What one browser session keeps of its conversation: the event log, item times and audio.

``realtime.ui.session`` builds one :class:`SessionRecording` beside the session's bridge, keeps
it in ``st.session_state`` and hands the bridge its hooks, so the client never knows what is
recorded (the dependency runs recording -> client only):

- :meth:`SessionRecording.observe` is the bridge's ``on_event``: the bridge thread calls it for
  every client event sent and server event received; the event log (secrets scrubbed, audio
  summarised) and the item clock record it;
- :meth:`SessionRecording.hear_user` is the bridge's ``on_mic_audio``: the media thread hands it
  the microphone's PCM with the clock time of its first sample;
- :meth:`SessionRecording.hear_assistant` is ``Playback.on_played``: the media thread hands it
  the assistant audio really handed to the speaker track, stamped here with the same clock.

Each part is thread-safe on its own; the inspector, metrics and exports read them from the
Streamlit script thread. A key handed to the bridge is registered with :meth:`add_secret`
first, so it is scrubbed from every logged event.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from realtime.recording.eventlog import DEFAULT_CAPACITY, EventLog, fan_out
from realtime.recording.export import ItemClock
from realtime.recording.recorder import DEFAULT_MAX_MINUTES, ConversationRecorder

__all__ = ["SessionRecording"]


class SessionRecording:
    """The event log, item clock and audio recorder of one session; see the module docstring."""

    def __init__(
        self,
        *,
        secrets: Iterable[str] = (),
        event_log_size: int = DEFAULT_CAPACITY,
        recording_minutes: float = DEFAULT_MAX_MINUTES,
        clock: Callable[[], float] = time.monotonic,  # the bridge's clock
    ) -> None:
        self.log = EventLog(event_log_size, secrets=secrets)
        self.item_times = ItemClock()
        self.audio = ConversationRecorder(max_minutes=recording_minutes)
        self._clock = clock
        self._observers = fan_out(self.log.record, self.item_times.record)

    def add_secret(self, value: str | None) -> None:
        """Scrub ``value`` (an API key) from every event logged from now on."""
        self.log.add_secret(value)

    def observe(self, direction: str, event: Mapping[str, Any], at: float) -> None:
        """The bridge's ``on_event`` observer (bridge thread); never raises (see ``fan_out``)."""
        self._observers(direction, event, at)

    def hear_user(self, pcm: bytes, at: float) -> None:
        """The bridge's ``on_mic_audio`` hook (media thread): PCM16 24 kHz mono from ``at``."""
        self.audio.push_user(pcm, at=at)

    def hear_assistant(self, pcm: bytes) -> None:
        """``Playback.on_played`` (media thread): assistant audio as it is played."""
        self.audio.push_assistant(pcm, at=self._clock())

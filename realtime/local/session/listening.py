"""The listening side of one local-engine session: input audio in, user turns and transcripts out.

Pure; owned by the session state machine (``realtime.local.session.server_session``) on the
server's event loop, which calls it for the ``input_audio_buffer.*`` client events, for the VAD's
events and for the results of ``Transcribe`` jobs. PCM16 goes into the input buffer
(``realtime.local.session.input_audio``); a turn (ended by the VAD or committed by the client)
becomes a user item in the history, announced by ``input_audio_buffer.committed`` and
``conversation.item.added`` / ``done``, and a ``Transcribe`` job. The transcript comes back into
the item, and goes out as ``conversation.item.input_audio_transcription.completed`` (or
``failed``) only when the session's transcription is configured; every audio turn is transcribed
anyway, since the responder reads text. What a turn means for the response (barge-in, an answer)
is the session's to decide.

It also listens ahead (``realtime.local.session.ahead``): the speech in progress is transcribed
at its first pause and, with transcription configured, while the user speaks (the new words
go out as ``conversation.item.input_audio_transcription.delta``). When the turn ends on a pause
with no voicing since, that early transcript is the turn's: no second transcription. Events of
a turn stay in the order they had without it: a ready transcript is handed over in
:meth:`Listener.settle`, after the session has answered the turn. When the session's
``include`` asks for logprobs (:attr:`Listener.logprobs`), the turn is transcribed whole, and
its ``completed`` event carries each token's logprob (early guesses carry none).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from realtime.local.limits import MAX_TRANSCRIBING_ITEMS, MAX_TRANSCRIBING_MS
from realtime.local.session.ahead import Ahead, TranscriptionSettings, transcribe_job
from realtime.local.session.guesses import AheadCounts
from realtime.local.session.history import History
from realtime.local.session.input_audio import InputAudio, VadFactory
from realtime.local.session.items import ItemRecord, Part, render_item
from realtime.local.session.jobs import Outbox, Transcribe
from realtime.local.session.wire import InvalidRequest
from realtime.local.stages.vad.detector import VadEvent
from realtime.protocol.events import new_id
from realtime.protocol.facts import MIN_COMMIT_MS
from realtime.protocol.logprobs import TokenLogprob, to_wire
from realtime.protocol.pcm import bytes_for_ms, duration_ms

__all__ = ["BACKLOG", "BUFFER_FULL", "Listener", "TranscriptionSettings"]

BUFFER_FULL = "input_audio_buffer_full"  # the error code of an append refused for a full buffer
BACKLOG = "transcription_backlog"  # the code of a transcription refused for the audio waiting


class Listener:
    """The input audio buffer, the user turns it yields and their transcription."""

    def __init__(
        self,
        out: Outbox,
        history: History,
        vad_factory: VadFactory,
        *,
        partials: bool = False,
        ahead_counts: AheadCounts | None = None,
    ) -> None:
        self._out = out
        self._history = history
        self._input = InputAudio(vad_factory)
        self._speech: tuple[str, int] | None = None  # (item id, audio_start_ms) of the speech
        self._transcribing: set[str] = set()
        self._jobs: dict[str, int] = {}  # item id -> bytes of audio in its Transcribe job
        self._reported: set[str] = set()  # items whose transcription events are sent
        self._ahead = Ahead(out, self._input, partials=partials, totals=ahead_counts)
        self._ready: list[tuple[str, str]] = []  # (item id, transcript) to hand over in settle
        self.logprobs = False  # the session's include asks for transcription logprobs

    @property
    def transcribing(self) -> bool:
        """Some committed audio has no transcript yet (a response waits for it)."""
        return bool(self._transcribing)

    @property
    def speaking(self) -> bool:
        """Speech is in progress (started, not yet a turn)."""
        return self._speech is not None

    @property
    def pause_words(self) -> str | None:
        """The words of the speech in progress at its pause, when its guess is back and still
        describes it (the responding side prepares the answer to them)."""
        return self._ahead.pause_words if self._speech is not None else None

    def configure(self, turn_detection: Mapping[str, Any] | None) -> None:
        """New turn detection settings: a fresh detector; speech in progress is forgotten."""
        self._input.configure(turn_detection)
        self._forget_speech()

    # ---- input_audio_buffer.* -------------------------------------------------------------
    def append(self, pcm: bytes | memoryview) -> list[VadEvent]:
        """Buffer ``pcm``; the VAD's events, for the session to pass back one at a time to
        :meth:`speech_started` / :meth:`speech_stopped`, then :meth:`trim`."""
        return self._input.append(pcm)

    @property
    def detecting(self) -> bool:
        """Turn detection is on: the detector, not the client, ends turns."""
        return self._input.detecting

    @property
    def buffered_ms(self) -> float:
        return self._input.buffered_ms

    @property
    def position_ms(self) -> int:
        """Input audio appended since the session began, in ms."""
        return self._input.position_ms

    def commit_silence(
        self, item_id: str, start_ms: int, transcription: TranscriptionSettings
    ) -> None:
        """The idle timeout's silence from ``start_ms`` (what of it is still buffered) becomes
        a user item with an empty transcript."""
        self._add_user_audio(
            item_id,
            self._input.turn(start_ms, self._input.position_ms),
            transcription,
            transcribe=False,
        )
        self._waiting(item_id, transcription)
        self.transcribed(item_id, "")

    def check_room(self, pcm: bytes | memoryview, max_ms: float) -> None:
        """Refuse an append that would grow a manual (uncommitted) buffer past ``max_ms``."""
        if self._input.detecting or self._input.buffered_ms + duration_ms(len(pcm)) <= max_ms:
            return
        raise InvalidRequest(
            BUFFER_FULL,
            f"The input audio buffer holds its maximum of {max_ms / 1000:.0f} s of uncommitted "
            "audio; this append was dropped. Commit or clear the buffer.",
            "audio",
        )

    def cut_long_turn(
        self,
        max_ms: float,
        turn_detection: Mapping[str, Any] | None,
        transcription: TranscriptionSettings,
    ) -> bool:
        """End a detected turn longer than ``max_ms`` as if the speaker paused (endless noise
        must not grow one turn forever); a fresh detector listens from here."""
        if self._speech is None or self._input.buffered_ms <= max_ms:
            return False
        end_ms = self._input.position_ms
        self._input.configure(turn_detection)
        self.speech_stopped(end_ms, transcription)
        return True

    def settle(self, transcription: TranscriptionSettings) -> bool:
        """After the turns of an append were answered: hand over transcripts that were ready
        (True if any, for the waiting response), listen ahead, trim the buffer."""
        ready, self._ready = self._ready, []
        for item_id, transcript in ready:
            self.transcribed(item_id, transcript)
        if self._speech is not None:
            self._ahead.listen(self._speech[1], transcription)
        self._input.trim()
        return bool(ready)

    def speech_started(self, start_ms: int) -> None:
        item_id = new_id("item")
        self._speech = (item_id, start_ms)
        self._ahead.begin(item_id, start_ms)
        self._out.emit(
            "input_audio_buffer.speech_started", audio_start_ms=start_ms, item_id=item_id
        )

    def speech_stopped(
        self, end_ms: int, transcription: TranscriptionSettings, voiced_end_ms: int | None = None
    ) -> None:
        """The turn ends: its audio becomes a user item (the session then decides to answer);
        ``voiced_end_ms`` (the detector's ``speech_end_ms``) says whether a guess covers it."""
        guess, ready = self._ahead.take(voiced_end_ms)
        item_id, start_ms = self._speech or (new_id("item"), end_ms)
        self._speech = None
        self._out.emit("input_audio_buffer.speech_stopped", audio_end_ms=end_ms, item_id=item_id)
        pcm = self._input.turn(start_ms, end_ms)
        if guess is None or self.logprobs:  # a guess has no logprobs: transcribe the turn
            self._add_user_audio(item_id, pcm, transcription)
            return
        self._add_user_audio(item_id, pcm, transcription, transcribe=False)
        self._waiting(item_id, transcription)
        if ready is not None:
            self._ready.append((item_id, ready))
        else:
            self._ahead.hand(guess, (item_id, transcription))

    def commit(self, transcription: TranscriptionSettings) -> None:
        """``input_audio_buffer.commit``: at least ``MIN_COMMIT_MS`` of audio, or refused."""
        ms = self._input.buffered_ms
        if ms < MIN_COMMIT_MS:
            raise InvalidRequest(
                "input_audio_buffer_commit_empty",
                f"Error committing input audio buffer: buffer too small. Expected at least "
                f"{MIN_COMMIT_MS}ms of audio, but buffer only has {ms:.2f}ms of audio.",
            )
        item_id = self._speech[0] if self._speech else new_id("item")
        self._forget_speech()
        self._add_user_audio(item_id, self._input.take(), transcription)

    def clear(self) -> None:
        """``input_audio_buffer.clear``."""
        self._input.reset()
        self._forget_speech()
        self._out.emit("input_audio_buffer.cleared")

    # ---- transcription --------------------------------------------------------------------
    def transcribe(self, item_id: str, pcm: bytes, transcription: TranscriptionSettings) -> None:
        """Ask for the transcript of an item's audio (a ``Transcribe`` job)."""
        self._waiting(item_id, transcription)
        self._job(item_id, pcm, transcription)

    def _job(self, item_id: str, pcm: bytes, transcription: TranscriptionSettings) -> None:
        """A ``Transcribe`` job, unless the session's audio already waiting for one fills the
        bound (``limits``): a job holds its audio until it is back, also after the history let
        the item's audio go, so a client adding audio items faster than they are transcribed
        would hold them all. Then the transcription fails at once, in words."""
        waiting = sum(self._jobs.values()) + len(pcm)
        if self._jobs and (
            len(self._jobs) >= MAX_TRANSCRIBING_ITEMS or waiting > bytes_for_ms(MAX_TRANSCRIBING_MS)
        ):
            message = (
                f"Not transcribed: {len(self._jobs)} items of this session "
                f"({duration_ms(waiting - len(pcm)) / 1000:.0f} s of audio) are already waiting "
                f"for their transcripts, the most one session may have waiting is "
                f"{MAX_TRANSCRIBING_ITEMS} items or {MAX_TRANSCRIBING_MS // 1000} s. "
                "Send audio more slowly."
            )
            self.transcription_failed(item_id, message, code=BACKLOG)
            return
        self._jobs[item_id] = len(pcm)
        self._out.job(transcribe_job(item_id, pcm, transcription, logprobs=self.logprobs))

    def guessed(self, job: Transcribe, transcript: str | None, cpu_s: float) -> bool:
        """An early transcription came back (None: it failed); True if it was a turn's
        transcript, for the waiting response."""
        handed = self._ahead.came_back(job, transcript, cpu_s)
        if handed is None:
            return False
        item_id, transcription = handed
        if transcript is None and item_id in self._history:  # transcribe the item after all
            item = self._history.get(item_id)
            self._job(item_id, item.content[_audio_index(item)].audio, transcription)
            return False
        self.transcribed(item_id, transcript or "")
        return True

    def transcribed(
        self, item_id: str, transcript: str, logprobs: tuple[TokenLogprob, ...] = ()
    ) -> None:
        self._transcribing.discard(item_id)
        self._jobs.pop(item_id, None)
        if item_id in self._history:
            item = self._history.get(item_id)
            index = _audio_index(item)
            parts = list(item.content)
            parts[index] = Part("input_audio", transcript=transcript, audio=parts[index].audio)
            self._history.replace(item.replace(content=tuple(parts)))
            if item_id in self._reported:
                seconds = round(duration_ms(len(parts[index].audio)) / 1000, 3)
                extra = {"logprobs": to_wire(logprobs)} if self.logprobs else {}
                self._out.emit(
                    "conversation.item.input_audio_transcription.completed",
                    item_id=item_id,
                    content_index=index,
                    transcript=transcript,
                    usage={"type": "duration", "seconds": seconds},
                    **extra,
                )
        self._reported.discard(item_id)

    def transcription_failed(
        self, item_id: str, message: str, *, code: str = "engine_error"
    ) -> None:
        self._transcribing.discard(item_id)
        self._jobs.pop(item_id, None)
        if item_id in self._reported and item_id in self._history:
            self._out.emit(
                "conversation.item.input_audio_transcription.failed",
                item_id=item_id,
                content_index=_audio_index(self._history.get(item_id)),
                error={"type": "transcription_error", "code": code, "message": message},
            )
        self._reported.discard(item_id)

    # ---- items ----------------------------------------------------------------------------
    def _forget_speech(self) -> None:
        self._speech = None
        self._ahead.forget()

    def _waiting(self, item_id: str, transcription: TranscriptionSettings) -> None:
        self._transcribing.add(item_id)
        if transcription is not None:
            self._reported.add(item_id)

    def _add_user_audio(
        self,
        item_id: str,
        pcm: bytes,
        transcription: TranscriptionSettings,
        *,
        transcribe: bool = True,
    ) -> None:
        item = ItemRecord(item_id, role="user", content=(Part("input_audio", audio=pcm),))
        previous = self._history.insert(item)
        self._out.emit("input_audio_buffer.committed", item_id=item_id, previous_item_id=previous)
        for kind in ("conversation.item.added", "conversation.item.done"):
            self._out.emit(kind, previous_item_id=previous, item=render_item(item))
        if transcribe:
            self.transcribe(item_id, pcm, transcription)


def _audio_index(item: ItemRecord) -> int:
    return next((i for i, p in enumerate(item.content) if p.type == "input_audio"), 0)

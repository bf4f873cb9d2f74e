"""What one engine session may hold, whatever a client sends or fails to read: the bounds in
one place.

Pure constants, read by the frame reader (``realtime.local.frames``), the connection runner and
the session. Figures follow the hosted API where it states one (an append of at most 15 MiB of
base64); the others keep one abusive session under about 64 MB of memory (PCM16 24 kHz mono is
2.9 MB a minute):

- a frame: ``MAX_FRAME_BYTES`` (16 MiB); longer closes the connection with 1009;
- JSON nesting: ``MAX_DEPTH`` levels, checked before parsing (no RecursionError);
- one ``input_audio_buffer.append``: ``MAX_APPEND_CHARS`` of base64;
- the uncommitted input buffer with turn detection off: ``MAX_BUFFER_MS``; an append past it is
  refused whole with one ``error`` and its audio dropped (commit or clear to go on); a client
  that keeps appending, ``MAX_REFUSED_APPENDS`` refusals in a row, is closed with 1008;
- one turn with turn detection on: ``MAX_TURN_MS``; a longer turn is committed at that length,
  as if the speaker had paused, so endless noise makes bounded turns instead of one endless one;
- the conversation: three minutes of audio, 4 MB of text, 14 MB of images, 2048 items
  (``History``'s bounds);
- audio waiting for its transcription: ``MAX_TRANSCRIBING_MS`` over at most
  ``MAX_TRANSCRIBING_ITEMS`` items (a job holds its audio even after the history let it go);
  past that an item's transcription fails at once, while the first waiting item is always
  taken, however long;
- events waiting to be sent: past ``OUTBOX_HIGH_WATER`` bytes the client's next frame is not
  read until they drain below it (a client that sends faster than it reads is slowed, never
  closed); a client whose socket has not drained for ``NOT_READING_SECONDS`` while they wait
  is not reading and is closed with 1008 (policy), its queue freed; ``OUTBOX_HARD_CAP`` bytes
  waiting close it at once, whatever else (the answers a session makes are bounded too);
- frames received and not yet handled: ``MAX_QUEUED_FRAMES`` (websockets' ``max_queue``);
- MCP servers (``docs/mcp.md``): ``MAX_MCP_SERVERS`` per session; a listing within
  ``MCP_LIST_SECONDS``, a call within ``MCP_CALL_SECONDS``; each HTTP answer at most
  ``MCP_MAX_BYTES``; ``MCP_MAX_TOOLS`` tools kept per server; a call's output kept and sent up
  to ``MCP_MAX_OUTPUT_CHARS``.
"""

from __future__ import annotations

from realtime.protocol.facts import MAX_FRAME_BYTES
from realtime.protocol.strict_json import MAX_DEPTH

__all__ = [
    "LARGE_FRAME_BYTES",
    "MAX_APPEND_CHARS",
    "MAX_BUFFER_MS",
    "MAX_DEPTH",
    "MAX_MCP_SERVERS",
    "MCP_CALL_SECONDS",
    "MCP_LIST_SECONDS",
    "MCP_MAX_BYTES",
    "MCP_MAX_OUTPUT_CHARS",
    "MCP_MAX_TOOLS",
    "MAX_FRAME_BYTES",
    "MAX_QUEUED_FRAMES",
    "MAX_REFUSED_APPENDS",
    "MAX_TRANSCRIBING_ITEMS",
    "MAX_TRANSCRIBING_MS",
    "MAX_TURN_MS",
    "NOT_READING_CLOSE",
    "NOT_READING_SECONDS",
    "OUTBOX_HARD_CAP",
    "OUTBOX_HIGH_WATER",
    "REFUSED_APPENDS_CLOSE",
    "SLICE_MS",
]


MAX_APPEND_CHARS = 15 * 2**20
MAX_BUFFER_MS = 5 * 60 * 1000
MAX_TURN_MS = 2 * 60 * 1000
MAX_TRANSCRIBING_MS = 3 * 60 * 1000  # the history's audio: a backlog holds no more than it
MAX_TRANSCRIBING_ITEMS = 32
OUTBOX_HIGH_WATER = 8 * 2**20
OUTBOX_HARD_CAP = 48 * 2**20  # the high water plus one largest frame's two echoes, and room
NOT_READING_SECONDS = 10.0
MAX_QUEUED_FRAMES = 2
NOT_READING_CLOSE = (1008, "client is not reading its events")
MAX_REFUSED_APPENDS = 50
REFUSED_APPENDS_CLOSE = (
    1008,
    f"input audio buffer full: {MAX_REFUSED_APPENDS} appends refused in a row; commit or clear it",
)
LARGE_FRAME_BYTES = 32 * 2**10  # ~0.7 s of audio: parsed, decoded on a worker, fed in slices
SLICE_MS = 20  # the VAD takes ~0.3 ms per 20 ms of audio: the loop is free between slices
MAX_MCP_SERVERS = 8
MCP_LIST_SECONDS = 10.0
MCP_CALL_SECONDS = 30.0
MCP_MAX_BYTES = 2**20
MCP_MAX_TOOLS = 128
MCP_MAX_OUTPUT_CHARS = 64 * 2**10

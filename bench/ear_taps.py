"""Web Audio taps for ``bench/mouth_to_ear.py``: a script Playwright injects into every frame of
the page, and the reading of what it recorded.

The script runs in the browser, in each frame's main thread (the WebRTC component lives in an
iframe; Playwright's ``add_init_script`` runs it there too, before the component's own code). It
wraps ``navigator.mediaDevices.getUserMedia`` (the microphone stream the component sends) and
``RTCPeerConnection`` (its ``track`` events: the remote audio the user hears) and feeds each
stream into one ``AudioContext``, through an ``AudioWorkletNode`` that runs on the browser's
audio rendering thread: for every 128-sample block (2.7 ms at 48 kHz) it computes the RMS level
and posts, per stream, the audio clock's time (``currentTime``, ms) at each threshold crossing:
up (the block's start) and down (the end of the last block above). Both streams are timed by
the same audio clock, block by block, so a busy page main thread (an ``AnalyserNode`` polled by a
5 ms timer missed whole words on a loaded machine: its timers ran late) does not blur them.
Nothing of the app's own instrumentation is read.

The Python side (the benchmark's main thread) reads the recording back and turns crossings
into speech segments and answer onsets.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

THRESHOLD_DBFS = -45.0  # RMS over a block: speech is above, digital silence and Opus's is below
BLOCK_S = 128 / 48000  # one render quantum of the page's AudioContext (48 kHz here)

PROCESSOR = """
class Level extends AudioWorkletProcessor {
  constructor(options) {
    super();
    this.name = options.processorOptions.name;
    this.above = false; this.last = 0; this.first = true; this.peak = -200;
  }
  process(inputs) {
    const channels = inputs[0];
    if (!channels || !channels.length) return true;
    const data = channels[0], t = currentTime;
    if (this.first) { this.first = false; this.port.postMessage([this.name, 2, t * 1000]); }
    let sum = 0;
    for (let i = 0; i < data.length; i++) sum += data[i] * data[i];
    const db = 10 * Math.log10(sum / data.length + 1e-20);
    if (db > this.peak + 1) { this.peak = db; this.port.postMessage([this.name, 3, db]); }
    const above = db > THRESHOLD_DBFS;
    if (above && !this.above) this.port.postMessage([this.name, 1, t * 1000]);
    if (!above && this.above) this.port.postMessage([this.name, 0, this.last * 1000]);
    if (above) this.last = t + data.length / sampleRate;
    this.above = above;
    return true;
  }
}
registerProcessor('m2e-level', Level);
""".replace("THRESHOLD_DBFS", str(THRESHOLD_DBFS))

TAP_SCRIPT = """
(() => {
  if (window.__m2e) return;
  const state = window.__m2e = {
    events: [], taps: [], captures: [], connected: null, started: {}, peak: {}, errors: [],
  };
  const now = () => performance.timeOrigin + performance.now();
  const PROCESSOR = PROCESSOR_SOURCE;
  let context = null, ready = null, sink = null;
  function tap(stream, kind) {
    if (!context) {
      context = new AudioContext();
      const url = URL.createObjectURL(new Blob([PROCESSOR], {type: 'application/javascript'}));
      ready = context.audioWorklet.addModule(url);
      sink = context.createGain();
      sink.gain.value = 0;
      sink.connect(context.destination);
    }
    context.resume();
    const name = kind + state.taps.length;
    state.taps.push([name, now()]);
    ready.then(() => {
      const node = new AudioWorkletNode(context, 'm2e-level', {processorOptions: {name}});
      node.port.onmessage = (message) => {
        const [from, what, value] = message.data;
        if (what === 3) state.peak[from] = value;
        else if (what === 2) state.started[from] = value;
        else state.events.push(message.data);
      };
      context.createMediaStreamSource(stream).connect(node);
      node.connect(sink);
    }).catch((error) => state.errors.push(String(error)));
  }
  const Native = window.RTCPeerConnection;
  if (Native) {
    const Tapped = function (...args) {
      const pc = new Native(...args);
      pc.addEventListener('track', (event) => {
        if (event.track.kind === 'audio') tap(new MediaStream([event.track]), 'remote');
      });
      pc.addEventListener('connectionstatechange', () => {
        if (pc.connectionState === 'connected' && state.connected === null) {
          state.connected = now();
        }
      });
      return pc;
    };
    Tapped.prototype = Native.prototype;
    Object.setPrototypeOf(Tapped, Native);
    window.RTCPeerConnection = Tapped;
  }
  const devices = navigator.mediaDevices;
  if (devices && devices.getUserMedia) {
    const original = devices.getUserMedia.bind(devices);
    devices.getUserMedia = async (constraints) => {
      const stream = await original(constraints);
      if (stream.getAudioTracks().length) {
        state.captures.push(now());
        tap(stream, 'mic');
      }
      return stream;
    };
  }
})();
""".replace("PROCESSOR_SOURCE", json.dumps(PROCESSOR))

READ_SCRIPT = "() => window.__m2e && window.__m2e.taps.length ? window.__m2e : null"


@dataclass(frozen=True)
class Recording:
    """What one page's taps saw: crossings per stream, in ms of the page's audio clock."""

    ups: dict[str, list[float]]
    downs: dict[str, list[float]]
    started: dict[str, float]  # each stream's first block, audio clock
    captures: list[float]  # when getUserMedia gave the page a microphone, ms since the epoch
    connected: float | None  # when the peer connection first reached 'connected', same clock
    peak_dbfs: dict[str, float]
    errors: list[str]

    @classmethod
    def from_page(cls, raw: dict[str, Any]) -> Recording:
        ups: dict[str, list[float]] = {}
        downs: dict[str, list[float]] = {}
        for name, up, t in raw["events"]:
            (ups if up else downs).setdefault(name, []).append(float(t))
        return cls(
            ups=ups,
            downs=downs,
            started={k: float(v) for k, v in raw["started"].items()},
            captures=[float(t) for t in raw["captures"]],
            connected=raw["connected"],
            peak_dbfs={k: float(v) for k, v in raw["peak"].items()},
            errors=[str(e) for e in raw["errors"]],
        )

    def segments(self, prefix: str, merge_ms: float) -> list[tuple[float, float]]:
        """Sound on the streams named ``prefix*``: (first above, last above) spans, spans less
        than ``merge_ms`` apart joined (the pauses between words)."""
        spans: list[tuple[float, float]] = []
        for name, ups in self.ups.items():
            if name.startswith(prefix):
                downs = self.downs.get(name, [])
                spans += [(u, downs[i] if i < len(downs) else math.inf) for i, u in enumerate(ups)]
        merged: list[tuple[float, float]] = []
        for start, end in sorted(spans):
            if merged and start - merged[-1][1] < merge_ms:
                merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
            else:
                merged.append((start, end))
        return merged

    def onsets(self, prefix: str) -> list[float]:
        """Every up crossing on the streams named ``prefix*``, in order."""
        return sorted(t for name, ups in self.ups.items() if name.startswith(prefix) for t in ups)


def speech_bounds(pcm: bytes, rate: int) -> tuple[float, float]:
    """First and last moment (s) of PCM16 mono audio above the taps' threshold, measured the same
    way (RMS over windows as long as the analyser's)."""
    import numpy as np

    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64) / 32768
    size = max(1, round(rate * BLOCK_S))
    count = len(samples) // size
    windows = samples[: count * size].reshape(count, size)
    levels = 10 * np.log10((windows**2).mean(axis=1) + 1e-20)
    loud = np.flatnonzero(levels > THRESHOLD_DBFS)
    if not len(loud):
        return 0.0, 0.0
    return float(loud[0] * size / rate), float((loud[-1] + 1) * size / rate)

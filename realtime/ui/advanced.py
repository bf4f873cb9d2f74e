"""The sidebar's "Advanced" group: today's GA session fields, bounded by the session schema.

Runs on the Streamlit script thread at every rerun, inside the sidebar (``realtime.ui.sidebar``
calls :func:`advanced`). Each widget takes its bounds, choices and help from
``realtime.protocol.session_schema``: what the field does, whether the API version takes it,
and when a change takes effect (voice fixed once the model has spoken, speed from the next
answer, tracing fixed once on). A field a version does not take is disabled and not sent.
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from realtime.protocol.facts import ApiVersion
from realtime.protocol.session_schema import EFFORTS, FIELD, TRUNCATION_MODES, takes
from realtime.ui.settings import Settings

__all__ = ["advanced", "field_help"]

DEFAULT = "model default"
_TRUNCATIONS = {"auto": "auto", "disabled": "disabled", "retention_ratio": "keep a share"}


def field_help(name: str, version: ApiVersion | None = None) -> str:
    """A widget's help: the schema's notes, when a change applies, and the versions taking it."""
    row = FIELD[name]
    text = f"{row.notes[:1].upper()}{row.notes[1:]}. " if row.notes else ""
    text += f"{row.live[:1].upper()}{row.live[1:]}."
    if version is not None and not takes(name, version):
        text += " The beta interface does not take it, so it is not sent."
    return text


def advanced(settings: Settings, slots: dict[str, DeltaGenerator]) -> Settings:
    """The Advanced expander's widgets, as the sidebar's ``Settings``."""
    version = settings.api_version
    ga_only = version is not ApiVersion.GA
    with st.expander("Advanced"):
        settings = _voice_and_reasoning(settings, ga_only)
        slots["speed"] = slots["reasoning_effort"] = st.container()
        settings = _transcription(settings, ga_only)
        slots["transcription"] = st.container()
        settings = _truncation(settings, ga_only)
        slots["truncation"] = st.container()
        settings = _prompt(settings, ga_only)
        slots["prompt"] = st.container()
        tracing = st.checkbox(
            "Trace on the OpenAI dashboard", key="rvs.tracing", help=field_help("tracing")
        )
        settings = replace(settings, tracing="auto" if tracing else None)
    return settings


def _voice_and_reasoning(settings: Settings, ga_only: bool) -> Settings:
    version = settings.api_version
    low, high = FIELD["speed"].low, FIELD["speed"].high
    speed = st.slider(
        "Output speed", low, high, 1.0, 0.05, key="rvs.speed", help=field_help("speed", version)
    )
    custom = st.text_input(
        "Custom voice id",
        placeholder="voice_...",
        key="rvs.custom_voice",
        disabled=ga_only,
        help="Used instead of the voice above. " + field_help("voice", version),
    )
    effort = st.selectbox(
        "Reasoning effort",
        [DEFAULT, *EFFORTS],
        key="rvs.reasoning_effort",
        disabled=ga_only,
        help=field_help("reasoning.effort", version),
    )
    parallel = st.radio(
        "Parallel tool calls",
        [DEFAULT, "on", "off"],
        horizontal=True,
        key="rvs.parallel_tool_calls",
        disabled=ga_only,
        help=field_help("parallel_tool_calls", version),
    )
    strength = st.slider(
        "Noise reduction strength",
        FIELD["noise_reduction.strength"].low,
        FIELD["noise_reduction.strength"].high,
        1.0,
        0.05,
        key="rvs.noise_strength",
        disabled=ga_only or settings.noise_reduction is None,
        help="With noise reduction on. " + field_help("noise_reduction.strength", version),
    )
    idle = st.number_input(
        "Nudge after silence (ms, 0 = never)",
        0,
        int(FIELD["turn_detection.idle_timeout_ms"].high or 0),
        0,
        1000,
        key="rvs.idle_timeout",
        disabled=ga_only or settings.turn_mode != "Server VAD",
        help=f"Server VAD, from {FIELD['turn_detection.idle_timeout_ms'].low:g} ms. "
        + field_help("turn_detection.idle_timeout_ms", version),
    )
    return replace(
        settings,
        speed=speed,
        custom_voice=custom,
        reasoning_effort=None if effort == DEFAULT else effort,
        parallel_tool_calls=None if parallel == DEFAULT else parallel == "on",
        noise_reduction_strength=None if settings.noise_reduction is None else strength,
        idle_timeout_ms=int(idle) or None,
    )


def _transcription(settings: Settings, ga_only: bool) -> Settings:
    version = settings.api_version
    off = settings.transcription_model is None
    language = st.text_input(
        "Transcription language",
        placeholder="en",
        key="rvs.transcription_language",
        disabled=off,
        help=field_help("transcription.language", version),
    )
    prompt = st.text_input(
        "Transcription prompt",
        key="rvs.transcription_prompt",
        disabled=off,
        help=field_help("transcription.prompt", version),
    )
    delay = st.selectbox(
        "Transcription delay",
        [DEFAULT, *FIELD["transcription.delay"].choices],
        key="rvs.transcription_delay",
        disabled=ga_only or settings.transcription_model != "gpt-realtime-whisper",
        help=field_help("transcription.delay", version),
    )
    logprobs = st.checkbox(
        "Mark words the transcriber was unsure of",
        key="rvs.logprobs",
        disabled=ga_only or off,
        help=field_help("include", version),
    )
    return replace(
        settings,
        transcription_language=language,
        transcription_prompt=prompt,
        transcription_delay=None if delay == DEFAULT else delay,
        transcription_logprobs=logprobs,
    )


def _truncation(settings: Settings, ga_only: bool) -> Settings:
    version = settings.api_version
    modes = [*TRUNCATION_MODES, "retention_ratio"]
    mode = st.radio(
        "When the context is full",
        modes,
        format_func=_TRUNCATIONS.__getitem__,
        horizontal=True,
        key="rvs.truncation",
        disabled=ga_only,
        help=field_help("truncation", version),
    )
    ratio, tokens = settings.retention_ratio, 0
    if mode == "retention_ratio":
        row = FIELD["truncation.retention_ratio"]
        ratio = st.slider("Share kept", row.low, row.high, ratio, 0.05, key="rvs.retention")
        tokens = st.number_input(
            "Cut after this many tokens (0 = the model's limit)",
            0,
            None,
            0,
            1000,
            key="rvs.post_instructions",
            help=field_help("truncation.token_limits.post_instructions"),
        )
    return replace(
        settings,
        truncation=mode or "auto",
        retention_ratio=ratio,
        post_instructions_tokens=int(tokens) or None,
    )


def _prompt(settings: Settings, ga_only: bool) -> Settings:
    version = settings.api_version
    prompt_id = st.text_input(
        "Reusable prompt id",
        placeholder="pmpt_...",
        key="rvs.prompt_id",
        disabled=ga_only,
        help=field_help("prompt", version),
    )
    version_text, variables = "", ""
    if prompt_id.strip():
        version_text = st.text_input(
            "Prompt version", key="rvs.prompt_version", help=field_help("prompt.version")
        )
        variables = st.text_area(
            "Prompt variables (name=value, one a line)", key="rvs.prompt_variables", height=68
        )
    return replace(
        settings, prompt_id=prompt_id, prompt_version=version_text, prompt_variables=variables
    )

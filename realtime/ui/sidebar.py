"""The shared sidebar: the deployment's providers and keys, then every session setting, as one
validated ``SessionConfig``.

Runs on the Streamlit script thread at every rerun, before the selected page (``app.py`` calls
:func:`sidebar`). Each group of widgets is one function that fills its fields of the sidebar's
``Settings`` (``realtime.ui.settings``) and keeps a slot under its widgets; the values become
one validated ``SessionConfig`` (kept in session state for the pages). A refused value is
explained in the slot under its widget, and the last valid config stays in force.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, cast

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from realtime.client.core.config import Provider
from realtime.protocol.errors import ConnectionFailed
from realtime.protocol.facts import GA_VOICES, ApiVersion
from realtime.protocol.model_list import (
    DEFAULT_TRANSCRIPTION_MODEL,
    MODELS,
    TRANSCRIPTION_MODELS,
    label,
    notice,
)
from realtime.protocol.session_schema import EAGERNESS, FIELD, bounds, takes
from realtime.tools import default_registry
from realtime.ui import deployment
from realtime.ui.advanced import advanced, field_help
from realtime.ui.gate import Guardrails
from realtime.ui.gatekeeper import url_refusal
from realtime.ui.keys import ENDPOINT_ENV, KEY_ENV, DeployedKeys, bound_key
from realtime.ui.local_engine import local_engine
from realtime.ui.mcp_settings import mcp_servers
from realtime.ui.session import CONFIG_KEY, key_widget
from realtime.ui.settings import (
    INSTRUCTION_PRESETS,
    PROVIDER_LABELS,
    TURN_MODES,
    Settings,
    build_config,
    default_provider,
)

__all__ = ["sidebar"]

OTHER = "Other…"
Slots = dict[str, DeltaGenerator]  # settings field -> where its refusal is shown


def sidebar() -> None:
    """Draw the sidebar; keep the config it makes in session state when it is valid."""
    found = deployment.current()
    deployed = found.keys()
    provider = _provider(found.guardrails(), deployed)
    slots: Slots = {}
    with st.sidebar:
        settings = _endpoint(Settings(provider=provider), deployed, slots)
        _api_key(settings, deployed)
        settings = _model_and_voice(settings, slots)
        settings = _instructions(settings, slots)
        settings = _turn_detection(settings, slots)
        settings = _audio_and_model(settings, slots)
        settings = _tools(settings, slots)
        settings = mcp_servers(settings, slots)
        settings = advanced(settings, slots)
    config, problems = build_config(settings)
    _show_problems(problems, slots)
    if config is not None:
        st.session_state[CONFIG_KEY] = config
    elif CONFIG_KEY in st.session_state:
        st.sidebar.caption("The session keeps its last valid settings until this is fixed.")


def _provider(rails: Guardrails, deployed: DeployedKeys) -> Provider:
    providers = list(rails.providers)  # only what the deployment offers (all by default)
    if not providers:
        st.error("This deployment offers no provider: its `providers` setting needs fixing.")
        st.stop()
    preferred = default_provider(deployed)
    st.sidebar.title("Session")
    provider: Provider = st.sidebar.selectbox(
        "Provider",
        providers,
        index=providers.index(preferred) if preferred in providers else 0,
        format_func=PROVIDER_LABELS.__getitem__,
        key="rvs.provider",
    )
    return provider


def _endpoint(settings: Settings, deployed: DeployedKeys, slots: Slots) -> Settings:
    """The server: a typed URL (custom), an Azure resource, or the in-process engine."""
    provider = settings.provider
    if provider is Provider.CUSTOM:
        base_url = st.text_input(
            "Server URL",
            value=deployed.endpoint(Provider.CUSTOM),
            placeholder="wss://realtime.example.com/v1",
            key="rvs.base_url",
        )
        slots["base_url"] = st.container()
        if refusal := url_refusal(base_url):
            slots["base_url"].warning(refusal, icon=":material/block:")
        return replace(settings, base_url=base_url)
    if provider is Provider.AZURE:
        azure_endpoint = st.text_input(
            "Azure endpoint",
            value=deployed.endpoint(Provider.AZURE),
            placeholder="https://RESOURCE.openai.azure.com",
            key="rvs.azure_endpoint",
        )
        slots["azure_endpoint"] = slots["azure_api_version"] = st.container()
        if refusal := url_refusal(azure_endpoint):
            slots["azure_endpoint"].warning(refusal, icon=":material/block:")
        return replace(settings, azure_endpoint=azure_endpoint)
    if provider is Provider.LOCAL:
        try:
            base_url = local_engine().url()
        except ConnectionFailed as exc:  # a sentence of ours, never the child's output
            st.error(str(exc), icon=":material/error:")
            st.stop()
        st.caption(f"Offline engine running at `{base_url}`, with a key only this app knows.")
        return replace(settings, base_url=base_url)
    return settings


def _api_key(settings: Settings, deployed: DeployedKeys) -> None:
    """The key field of a hosted provider, and where the key will come from (never the key)."""
    provider = settings.provider
    if provider is Provider.LOCAL:
        return
    typed = st.text_input(
        "API key",
        type="password",
        key=key_widget(provider),
        help="Stays on the server for this browser session only; never shown back.",
    )
    endpoint = settings.azure_endpoint if provider is Provider.AZURE else settings.base_url
    source = bound_key(provider, endpoint, typed, deployed)
    st.caption(f"Key: {source.label}.")
    if source.key is None:
        st.warning(
            f"{PROVIDER_LABELS[provider]} needs an API key: paste it above"
            + (
                f", or set {KEY_ENV[provider]} in the environment or in Streamlit secrets."
                if provider is Provider.OPENAI
                else f", or set {KEY_ENV[provider]} with {ENDPOINT_ENV[provider]} "
                "beside it in the environment or in Streamlit secrets."
            ),
            icon=":material/key:",
        )


def _model_and_voice(settings: Settings, slots: Slots) -> Settings:
    version = st.radio(
        "API version",
        list(ApiVersion),
        format_func=lambda v: "GA (current)" if v is ApiVersion.GA else "Beta (legacy)",
        horizontal=True,
        key="rvs.api_version",
        help="Beta is the legacy shape (OpenAI-Beta: realtime=v1) that Azure OpenAI and "
        "compatible servers still speak; OpenAI retired it.",
    )
    version = version or ApiVersion.GA  # a radio with an index always has a value
    if version is ApiVersion.BETA and settings.provider is Provider.OPENAI:
        st.warning("OpenAI retired the beta interface: choose GA.", icon=":material/history:")
    model_label = "Deployment" if settings.provider is Provider.AZURE else "Model"
    choice = st.selectbox(model_label, [*MODELS, OTHER], format_func=label, key="rvs.model")
    if choice == OTHER:
        model = st.text_input(f"{model_label} name", key="rvs.model_name")
    else:
        model = choice
    slots["model"] = st.container()
    if settings.provider is not Provider.LOCAL and (going := notice(model or "")):
        slots["model"].warning(going, icon=":material/schedule:")
    if settings.provider is Provider.LOCAL:
        voice_names = local_engine().voices()
    else:
        voice_names = list(GA_VOICES)
    voice = st.selectbox("Voice", voice_names)
    slots["voice"] = st.container()
    return replace(settings, api_version=version, model=model or "", voice=voice)


def _instructions(settings: Settings, slots: Slots) -> Settings:
    preset = st.selectbox("Instructions preset", list(INSTRUCTION_PRESETS))
    instructions = st.text_area("Instructions", INSTRUCTION_PRESETS[preset], height=100)
    text_only = st.radio("Answers", ["Voice + transcript", "Text only"], horizontal=True)
    slots["output_modalities"] = st.container()
    return replace(settings, instructions=instructions, text_only=text_only == "Text only")


def _turn_detection(settings: Settings, slots: Slots) -> Settings:
    st.subheader("Turn detection")
    turn_mode = st.radio("Mode", TURN_MODES, horizontal=True, label_visibility="collapsed")
    threshold, padding = settings.threshold, settings.prefix_padding_ms
    silence, eagerness = settings.silence_duration_ms, settings.eagerness
    if turn_mode == "Server VAD":
        threshold = st.slider("Threshold", *_span("turn_detection.threshold"), threshold, 0.05)
        padding = st.slider(
            "Prefix padding (ms)", *_int_span("turn_detection.prefix_padding_ms"), padding, 50
        )
        silence = st.slider(
            "Silence to end a turn (ms)",
            *_int_span("turn_detection.silence_duration_ms"),
            silence,
            50,
        )
    elif turn_mode == "Semantic VAD":
        eagerness = st.selectbox("Eagerness", EAGERNESS, index=EAGERNESS.index(eagerness))
    interrupt = st.checkbox(
        "Speaking interrupts the answer", True, disabled=turn_mode == "Push-to-talk"
    )
    slots["turn_detection"] = st.container()
    return replace(
        settings,
        turn_mode=turn_mode,
        threshold=threshold,
        prefix_padding_ms=padding,
        silence_duration_ms=silence,
        eagerness=eagerness,
        interrupt_response=interrupt,
    )


def _audio_and_model(settings: Settings, slots: Slots) -> Settings:
    """Transcription of the user's speech, noise reduction, temperature, the token limit."""
    st.subheader("Audio and model")
    openai_ga = settings.provider is Provider.OPENAI and settings.api_version is ApiVersion.GA
    first = DEFAULT_TRANSCRIPTION_MODEL if openai_ga else "whisper-1"
    choices = [first, *(m for m in TRANSCRIPTION_MODELS if m != first), "off"]
    transcription = st.selectbox(
        "Transcribe my speech with",
        choices,
        format_func=label,
        help=field_help("transcription"),
    )
    slots["transcription"] = st.container()
    if settings.provider is not Provider.LOCAL and (going := notice(transcription)):
        slots["transcription"].warning(going, icon=":material/schedule:")
    noise = st.selectbox(
        "Noise reduction",
        ["off", *FIELD["noise_reduction.type"].choices],
        help=field_help("noise_reduction.type"),
    )
    slots["noise_reduction"] = st.container()
    temperature = st.slider(
        "Temperature",
        *_span("temperature"),
        FIELD["temperature"].default,
        0.05,
        disabled=not takes("temperature", settings.api_version),
        help="Only the beta API takes a temperature; the GA API refuses it, so it is not sent.",
    )
    slots["temperature"] = st.container()
    max_tokens = st.number_input(
        "Max output tokens (0 = no limit)", 0, _int_span("max_output_tokens")[1], 0, 64
    )
    slots["max_output_tokens"] = st.container()
    return replace(
        settings,
        transcription_model=None if transcription == "off" else transcription,
        noise_reduction=None if noise == "off" else noise,
        temperature=temperature,
        max_output_tokens=int(max_tokens) or None,
    )


def _tools(settings: Settings, slots: Slots) -> Settings:
    st.subheader("Tools")
    enabled = st.multiselect("Enabled tools", default_registry.names(), default_registry.names())
    tool_choice = st.selectbox("Tool choice", ["auto", "none", "required", *enabled])
    slots["tools"] = slots["tool_choice"] = slots["other"] = st.container()
    # Tool definitions are TypedDicts, plain dicts at runtime: the config takes them as dicts.
    definitions = cast("list[dict[str, Any]]", default_registry.definitions(enabled))
    return replace(settings, tools=tuple(definitions), tool_choice=tool_choice)


def _span(name: str) -> tuple[float, float]:
    return bounds(name)


def _int_span(name: str) -> tuple[int, int]:
    low, high = bounds(name)
    return int(low), int(high)


def _show_problems(problems: dict[str, str], slots: Slots) -> None:
    """Each refused setting's message in the slot under its widget (the last slot otherwise)."""
    for name, text in problems.items():
        slot = slots.get(name) or slots.get(name.split(".")[0]) or slots["other"]
        slot.error(text, icon=":material/error:")

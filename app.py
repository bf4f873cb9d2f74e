"""Realtime Voice Studio: navigation and the shared sidebar (settings -> SessionConfig).

Runs on the Streamlit script thread at every rerun, before the selected page. The sidebar's
values become one validated ``SessionConfig`` (kept in session state for the pages); a refused
value is explained next to its widget and the last valid config stays in force.
"""

from __future__ import annotations

import logging
import os

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from realtime.client.core.config import MODELS, TRANSCRIPTION_MODELS, Provider
from realtime.protocol.facts import (
    EAGERNESS,
    GA_VOICES,
    TEMPERATURE_RANGE,
    ApiVersion,
    takes_temperature,
)
from realtime.tools import default_registry
from realtime.ui.gatekeeper import guardrails, require_sign_in, url_refusal
from realtime.ui.keys import ENDPOINT_ENV, KEY_ENV, Deployment, bound_key
from realtime.ui.settings import (
    INSTRUCTION_PRESETS,
    PROVIDER_LABELS,
    TURN_MODES,
    Settings,
    build_config,
    default_provider,
    local_voice_names,
)
from realtime.ui.studio import CONFIG_KEY, key_widget, local_engine_url, secrets

logging.basicConfig(
    level=os.environ.get("LOG_LEVEL", "INFO"), format="%(levelname)s %(name)s: %(message)s"
)
st.set_page_config(page_title="Realtime Voice Studio", page_icon=":material/mic:", layout="wide")

OTHER = "Other…"


def _show_problems(problems: dict[str, str], slots: dict[str, DeltaGenerator]) -> None:
    """Each refused setting's message in the slot under its widget (the last slot otherwise)."""
    for name, text in problems.items():
        slot = slots.get(name) or slots.get(name.split(".")[0]) or slots["other"]
        slot.error(text, icon=":material/error:")


def sidebar() -> None:
    found = secrets()
    rails = guardrails()
    providers = list(rails.providers)  # only what the deployment offers (all by default)
    if not providers:
        st.error("This deployment offers no provider: its `providers` setting needs fixing.")
        st.stop()
    preferred = default_provider(found, os.environ)
    st.sidebar.title("Session")
    provider = st.sidebar.selectbox(
        "Provider",
        providers,
        index=providers.index(preferred) if preferred in providers else 0,
        format_func=PROVIDER_LABELS.__getitem__,
        key="rvs.provider",
    )
    deployed = Deployment.from_settings(found, os.environ)
    with st.sidebar:
        slots: dict[str, DeltaGenerator] = {}
        base_url = azure_endpoint = ""
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
        elif provider is Provider.AZURE:
            azure_endpoint = st.text_input(
                "Azure endpoint",
                value=deployed.endpoint(Provider.AZURE),
                placeholder="https://RESOURCE.openai.azure.com",
                key="rvs.azure_endpoint",
            )
            slots["azure_endpoint"] = slots["azure_api_version"] = st.container()
            if refusal := url_refusal(azure_endpoint):
                slots["azure_endpoint"].warning(refusal, icon=":material/block:")
        elif provider is Provider.LOCAL:
            base_url = local_engine_url()
            st.caption(f"Offline engine running at `{base_url}`, with a key only this app knows.")
        typed = ""
        if provider is not Provider.LOCAL:
            typed = st.text_input(
                "API key",
                type="password",
                key=key_widget(provider),
                help="Stays on the server for this browser session only; never shown back.",
            )
            endpoint = azure_endpoint if provider is Provider.AZURE else base_url
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
        version = st.radio(
            "API version",
            list(ApiVersion),
            format_func=lambda v: "GA (current)" if v is ApiVersion.GA else "Beta (realtime=v1)",
            horizontal=True,
        )
        model_label = "Deployment" if provider is Provider.AZURE else "Model"
        choice = st.selectbox(model_label, [*MODELS, OTHER], key="rvs.model")
        if choice == OTHER:
            model = st.text_input(f"{model_label} name", key="rvs.model_name")
        else:
            model = choice
        slots["model"] = st.container()
        if provider is Provider.LOCAL:
            voice_names = local_voice_names()
        else:
            voice_names = list(GA_VOICES)
        voice = st.selectbox("Voice", voice_names)
        slots["voice"] = st.container()
        preset = st.selectbox("Instructions preset", list(INSTRUCTION_PRESETS))
        instructions = st.text_area("Instructions", INSTRUCTION_PRESETS[preset], height=100)
        text_only = st.radio("Answers", ["Voice + transcript", "Text only"], horizontal=True)
        slots["output_modalities"] = st.container()

        st.subheader("Turn detection")
        turn_mode = st.radio("Mode", TURN_MODES, horizontal=True, label_visibility="collapsed")
        defaults = Settings()
        threshold, padding = defaults.threshold, defaults.prefix_padding_ms
        silence, eagerness = defaults.silence_duration_ms, defaults.eagerness
        if turn_mode == "Server VAD":
            threshold = st.slider("Threshold", 0.0, 1.0, threshold, 0.05)
            padding = st.slider("Prefix padding (ms)", 0, 1000, padding, 50)
            silence = st.slider("Silence to end a turn (ms)", 100, 2000, silence, 50)
        elif turn_mode == "Semantic VAD":
            eagerness = st.selectbox("Eagerness", EAGERNESS, index=EAGERNESS.index(eagerness))
        interrupt = st.checkbox(
            "Speaking interrupts the answer", True, disabled=turn_mode == "Push-to-talk"
        )
        slots["turn_detection"] = st.container()

        st.subheader("Audio and model")
        transcription = st.selectbox("Transcribe my speech with", [*TRANSCRIPTION_MODELS, "off"])
        slots["transcription"] = st.container()
        noise = st.selectbox("Noise reduction", ["off", "near_field", "far_field"])
        slots["noise_reduction"] = st.container()
        temperature = st.slider(
            "Temperature",
            *TEMPERATURE_RANGE,
            0.8,
            0.05,
            disabled=not takes_temperature(version),
            help="Only the beta API takes a temperature; the GA API refuses it, so it is not sent.",
        )
        slots["temperature"] = st.container()
        max_tokens = st.number_input("Max output tokens (0 = no limit)", 0, 4096, 0, 64)
        slots["max_output_tokens"] = st.container()

        st.subheader("Tools")
        enabled = st.multiselect(
            "Enabled tools", default_registry.names(), default_registry.names()
        )
        tool_choice = st.selectbox("Tool choice", ["auto", "none", "required", *enabled])
        slots["tools"] = slots["tool_choice"] = slots["other"] = st.container()

    settings = Settings(
        provider=provider,
        api_version=version,
        model=model or "",
        voice=voice,
        instructions=instructions,
        text_only=text_only == "Text only",
        turn_mode=turn_mode,
        threshold=threshold,
        prefix_padding_ms=padding,
        silence_duration_ms=silence,
        interrupt_response=interrupt,
        eagerness=eagerness,
        transcription_model=None if transcription == "off" else transcription,
        noise_reduction=None if noise == "off" else noise,
        temperature=temperature,
        max_output_tokens=int(max_tokens) or None,
        tools=tuple(default_registry.definitions(enabled)),
        tool_choice=tool_choice,
        base_url=base_url,
        azure_endpoint=azure_endpoint,
    )
    config, problems = build_config(settings)
    _show_problems(problems, slots)
    if config is not None:
        st.session_state[CONFIG_KEY] = config
    elif CONFIG_KEY in st.session_state:
        st.sidebar.caption("The session keeps its last valid settings until this is fixed.")


require_sign_in(guardrails())  # with [auth] in secrets, nothing else shows before sign-in
sidebar()
navigation = st.navigation(
    [
        st.Page("pages/voice.py", title="Voice chat", icon=":material/mic:", default=True),
        st.Page("pages/inspector.py", title="Event inspector", icon=":material/manage_search:"),
        st.Page("pages/metrics.py", title="Latency and cost", icon=":material/monitoring:"),
    ]
)
navigation.run()

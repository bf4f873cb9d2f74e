"""The deployment guardrails on the page: sign-in, the providers offered, voice session limits.

Runs on the Streamlit script thread only (the rules are pure, in ``realtime.ui.gate``; the
settings are read by ``realtime.ui.deployment``). The app calls :func:`require_sign_in` before
anything else and offers only the guardrails' providers in the sidebar; the voice page starts
its bridge only through :func:`start_voice`, which refuses (with a sentence to show) when every
slot of this app server is taken, this browser session's minutes are used up, or the provider
is not offered; the minutes timer stops the bridge from a thread of its own and
:func:`voice_notice` says why.
:func:`url_refusal` checks a typed URL as the bridge will, so the sidebar can say at once why
the address policy refuses it and which setting would allow it.
"""

from __future__ import annotations

import asyncio

import streamlit as st

from realtime.client.core.config import SessionConfig, ws_url
from realtime.client.io.address_policy import AddressPolicy
from realtime.client.io.bridge import Bridge
from realtime.protocol.errors import ConfigError, ConnectionFailed
from realtime.ui import deployment
from realtime.ui.gate import Guardrails, SessionAllowance, SessionSlots
from realtime.ui.session import connect_policy
from realtime.ui.settings import PROVIDER_LABELS

__all__ = ["require_sign_in", "start_voice", "url_refusal", "voice_notice"]

ALLOWANCE_KEY = "rvs.allowance"
REFUSAL_KEY = "rvs.voice_refusal"


@st.cache_resource
def _slots() -> SessionSlots:
    return SessionSlots()  # one per app server process, shared by every browser session


def require_sign_in(rails: Guardrails) -> None:
    """With ``[auth]`` in secrets, a visitor who has not signed in sees only the sign-in."""
    if not rails.login:
        return
    user = st.user.to_dict()
    if user.get("is_logged_in"):
        name = user.get("name") or user.get("email") or "signed in"
        st.sidebar.caption(f"Signed in: {name}.")
        st.sidebar.button("Sign out", on_click=st.logout, key="rvs.logout")
        return
    st.title("Realtime Voice Studio")
    st.info("This deployment asks you to sign in first.", icon=":material/lock:")
    for provider in rails.login:
        label = "Sign in" if provider is None else f"Sign in with {provider.title()}"
        st.button(
            label,
            type="primary",
            on_click=st.login,
            args=() if provider is None else (provider,),
            key=f"rvs.login.{provider or 'default'}",
        )
    st.stop()


def _allowance(rails: Guardrails) -> SessionAllowance:
    allowance = st.session_state.get(ALLOWANCE_KEY)
    if not isinstance(allowance, SessionAllowance) or allowance.minutes != (
        rails.max_session_minutes
    ):
        if isinstance(allowance, SessionAllowance):
            allowance.close()
        allowance = SessionAllowance(rails.max_session_minutes)
        st.session_state[ALLOWANCE_KEY] = allowance
    return allowance


def _expired_text(rails: Guardrails) -> str:
    return (
        f"This voice session reached this deployment's limit of "
        f"{rails.max_session_minutes:g} minutes and was stopped. Reload the page to start a "
        "new one."
    )


def start_voice(bridge: Bridge, config: SessionConfig) -> str | None:
    """Start ``bridge`` unless a guardrail refuses: None when it runs, else why not (also
    kept for :func:`voice_notice`)."""
    rails = deployment.current().guardrails()
    refusal = None
    allowance = _allowance(rails)
    if not rails.voice_allowed:
        refusal = "Voice sessions are off: this deployment's settings need fixing."
    elif not rails.offers(config.provider):
        refusal = f"{PROVIDER_LABELS[config.provider]} is not offered by this deployment."
    elif allowance.expired:
        refusal = _expired_text(rails)
    elif bridge.running:
        return None
    elif not _slots().start(bridge, rails.max_voice_sessions):
        refusal = (
            f"All {rails.max_voice_sessions} voice sessions of this app are in use right now. "
            "Try again in a few minutes."
        )
    else:
        allowance.begin(bridge.stop)
    st.session_state[REFUSAL_KEY] = refusal
    return refusal


def voice_notice(bridge: Bridge) -> None:
    """The guardrail that stopped or refused this session, in words (nothing when none did)."""
    rails = deployment.current().guardrails()
    if rails.problems:
        st.error(
            "This deployment's settings cannot be read, so voice sessions are off: "
            + "; ".join(rails.problems)
            + ".",
            icon=":material/settings:",
        )
        return
    allowance = _allowance(rails)
    if allowance.expired and not bridge.running:
        st.warning(_expired_text(rails), icon=":material/timer_off:")
        return
    refusal = st.session_state.get(REFUSAL_KEY)
    if isinstance(refusal, str) and not bridge.running:
        st.warning(refusal, icon=":material/block:")
        return
    left = allowance.remaining()
    if left is not None and bridge.running:
        st.caption(f"{left / 60:.0f} of {rails.max_session_minutes:g} minutes left.")


def url_refusal(url: str, *, trust_engine: bool = True) -> str | None:
    """Why the bridge would refuse to open ``url`` (the address policy's own sentence), or
    None when it would try. A malformed URL is left to the settings check. ``trust_engine``
    False: the in-process engine's own address is refused like any other (an MCP server URL,
    which the engine or the hosted API opens, never names the engine)."""
    if not url.strip():
        return None
    try:
        full = ws_url("base_url", url)
    except ConfigError:
        return None
    policy = connect_policy() if trust_engine else deployment.current().address_policy()
    return _refusal(
        full,
        policy.allow_private,
        tuple(sorted(policy.allowed_hosts)),
        tuple(sorted(policy.trusted)),
    )


@st.cache_data(ttl=60, show_spinner=False, max_entries=256)
def _refusal(
    url: str, allow_private: bool, hosts: tuple[str, ...], trusted: tuple[tuple[str, int], ...]
) -> str | None:
    # Cached: a typed host name is looked up once a minute, not at every rerun. The bridge
    # checks again when it connects, and connects to the address it checked then.
    policy = AddressPolicy(allow_private, frozenset(hosts), frozenset(trusted))
    try:
        asyncio.run(policy.check(url))
    except ConnectionFailed as exc:
        return str(exc)
    return None

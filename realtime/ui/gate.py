"""Deployment guardrails: who may sign in, which providers a visitor may pick, how many voice
sessions run at once and for how long.

Pure: no ``st``. The Streamlit script thread reads the settings on every rerun
(``realtime.ui.deployment`` looks them up and hands their raw values to ``Guardrails.parse``);
one ``SessionSlots`` is shared by every browser session of the app server (the glue in
``realtime.ui.gatekeeper`` keeps it in ``st.cache_resource``); each browser session has its
own ``SessionAllowance``, whose timer thread stops that session's bridge when its minutes are
up (``Bridge.stop`` is safe from any thread). The settings, in Streamlit secrets or else the
environment, all optional:

- ``[auth]`` in secrets: visitors sign in with ``st.login`` first (one button per named
  ``[auth.NAME]`` provider, else one for the unnamed one);
- ``providers`` / ``REALTIME_PROVIDERS``: the providers the sidebar offers (``local``,
  ``openai``, ``azure``, ``custom``), a list or comma separated;
- ``max_voice_sessions`` / ``REALTIME_MAX_VOICE_SESSIONS``: voice sessions running at once on
  this app server;
- ``max_session_minutes`` / ``REALTIME_MAX_SESSION_MINUTES``: minutes from a browser session's
  first start; then its bridge is stopped and not started again in that browser session.

Unset, nothing is limited: ``streamlit run app.py`` on one's own machine works as before. A
value that cannot be read fails closed: voice sessions stay off and the page says which setting
to fix (a typo must not lift a limit the deployer meant to set).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from realtime.client.core.config import Provider

__all__ = [
    "MAX_MINUTES",
    "MAX_SESSIONS",
    "PROVIDERS",
    "Guardrails",
    "Runnable",
    "SessionAllowance",
    "SessionSlots",
    "login_providers",
]

PROVIDERS = ("providers", "REALTIME_PROVIDERS")
MAX_SESSIONS = ("max_voice_sessions", "REALTIME_MAX_VOICE_SESSIONS")
MAX_MINUTES = ("max_session_minutes", "REALTIME_MAX_SESSION_MINUTES")


def login_providers(secrets: Mapping[str, Any]) -> tuple[str | None, ...]:
    """The ``st.login`` providers ``[auth]`` configures: () when there is no ``[auth]``,
    ``(None,)`` for the unnamed one, else the names of its ``[auth.NAME]`` sections."""
    auth = secrets.get("auth")
    if not isinstance(auth, Mapping) or not auth:
        return ()
    named = [k for k, v in auth.items() if isinstance(v, Mapping) and k != "client_kwargs"]
    return tuple(sorted(named)) or (None,)


@dataclass(frozen=True)
class Guardrails:
    """What this deployment allows; ``problems`` names settings that could not be read."""

    providers: tuple[Provider, ...] = tuple(Provider)
    max_voice_sessions: int | None = None
    max_session_minutes: float | None = None
    login: tuple[str | None, ...] = ()
    problems: tuple[str, ...] = ()

    @classmethod
    def parse(
        cls,
        *,
        providers: Any = None,
        max_voice_sessions: Any = None,
        max_session_minutes: Any = None,
        login: tuple[str | None, ...] = (),
    ) -> Guardrails:
        """From the settings' raw values as found (None: not set), each checked here."""
        problems: list[str] = []
        offered = tuple(Provider)
        if providers is not None:
            names = providers.split(",") if isinstance(providers, str) else list(providers)
            wanted = [str(n).strip().lower() for n in names if str(n).strip()]
            known = {p.value: p for p in Provider}
            unknown = [n for n in wanted if n not in known]
            if unknown or not wanted:
                problems.append(
                    f"{PROVIDERS[0]} / {PROVIDERS[1]} must list some of "
                    f"{', '.join(known)} (found {', '.join(unknown) or 'none'})"
                )
            offered = tuple(p for p in Provider if p.value in wanted)
        sessions = _count(MAX_SESSIONS, max_voice_sessions, problems)
        minutes = _minutes(max_session_minutes, problems)
        return cls(
            providers=offered,
            max_voice_sessions=sessions,
            max_session_minutes=minutes,
            login=login,
            problems=tuple(problems),
        )

    def offers(self, provider: Provider) -> bool:
        return provider in self.providers

    @property
    def voice_allowed(self) -> bool:
        """False while a setting cannot be read (fail closed) or no provider is left."""
        return not self.problems and bool(self.providers)


def _count(names: tuple[str, str], value: Any, problems: list[str]) -> int | None:
    if value is None:
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        number = -1
    if number < 1:
        problems.append(f"{names[0]} / {names[1]} must be a whole number of at least 1")
        return None
    return number


def _minutes(value: Any, problems: list[str]) -> float | None:
    if value is None:
        return None
    try:
        number = float(str(value).strip())
    except ValueError:
        number = math.nan
    if not (math.isfinite(number) and number > 0):
        problems.append(f"{MAX_MINUTES[0]} / {MAX_MINUTES[1]} must be a number above 0")
        return None
    return number


class Runnable(Protocol):
    """What a slot holds: the bridge (``running`` while its thread lives)."""

    @property
    def running(self) -> bool: ...

    def start(self) -> None: ...


class SessionSlots:
    """The voice sessions running on this app server, at most ``limit`` at once.

    A slot is held while its bridge runs; a bridge that stopped (STOP, a closed tab, the
    minutes timer, a failed connection) frees its slot without telling anyone, so nothing can
    leak one. Checking and starting happen under one lock, so two visitors cannot both take
    the last slot.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holders: dict[int, Runnable] = {}

    def in_use(self) -> int:
        with self._lock:
            self._prune()
            return len(self._holders)

    def start(self, bridge: Runnable, limit: int | None) -> bool:
        """Start ``bridge`` if a slot is free (or it holds one already); False when full."""
        with self._lock:
            self._prune()
            if id(bridge) not in self._holders and limit is not None:
                if len(self._holders) >= limit:
                    return False
            bridge.start()
            self._holders[id(bridge)] = bridge
            return True

    def _prune(self) -> None:
        for key in [k for k, b in self._holders.items() if not b.running]:
            del self._holders[key]


class Cancellable(Protocol):
    def cancel(self) -> None: ...


def _thread_timer(seconds: float, action: Callable[[], None]) -> Cancellable:
    timer = threading.Timer(seconds, action)
    timer.daemon = True
    timer.name = "realtime-session-minutes"
    timer.start()
    return timer


class SessionAllowance:
    """One browser session's minutes: counted from its first start, stop and restart included."""

    def __init__(
        self,
        minutes: float | None,
        *,
        clock: Callable[[], float] = time.monotonic,
        timer: Callable[[float, Callable[[], None]], Cancellable] = _thread_timer,
    ) -> None:
        self.minutes = minutes
        self._clock = clock
        self._timer = timer
        self._started: float | None = None
        self._pending: Cancellable | None = None

    def remaining(self) -> float | None:
        """Seconds left (None: no limit); the full allowance before the first start."""
        if self.minutes is None:
            return None
        used = 0.0 if self._started is None else self._clock() - self._started
        return max(0.0, self.minutes * 60 - used)

    @property
    def expired(self) -> bool:
        left = self.remaining()
        return left is not None and left <= 0

    def begin(self, stop: Callable[[], None]) -> None:
        """The session (re)starts now: ``stop`` is called when its minutes are up."""
        if self.minutes is None:
            return
        if self._started is None:
            self._started = self._clock()
        if self._pending is not None:
            self._pending.cancel()
        left = self.remaining()
        self._pending = self._timer(left or 0.0, stop)

    def close(self) -> None:
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None

"""The deployment guardrails' rules, pure: settings read from secrets and the environment
(through ``DeploymentSettings``), the app server's voice slots, one browser session's minutes."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from realtime.client.core.config import Provider
from realtime.ui.deployment import DeploymentSettings
from realtime.ui.gate import Guardrails, SessionAllowance, SessionSlots, login_providers


def test_defaults_limit_nothing() -> None:
    rails = DeploymentSettings({}, {}).guardrails()
    assert rails == Guardrails()
    assert rails.providers == tuple(Provider) and rails.voice_allowed
    assert rails.max_voice_sessions is None and rails.max_session_minutes is None
    assert rails.login == ()


def test_settings_from_secrets_win_over_the_environment() -> None:
    secrets = {"providers": ["local", "OpenAI"], "max_voice_sessions": 3}
    environ = {
        "REALTIME_PROVIDERS": "custom",
        "REALTIME_MAX_VOICE_SESSIONS": "9",
        "REALTIME_MAX_SESSION_MINUTES": "2.5",
    }
    rails = DeploymentSettings(secrets, environ).guardrails()
    assert rails.providers == (Provider.LOCAL, Provider.OPENAI)
    assert rails.max_voice_sessions == 3 and rails.max_session_minutes == 2.5
    assert rails.offers(Provider.LOCAL) and not rails.offers(Provider.CUSTOM)


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"REALTIME_PROVIDERS": "local,ollama"}, "providers"),
        ({"REALTIME_PROVIDERS": " , "}, "providers"),
        ({"REALTIME_MAX_VOICE_SESSIONS": "0"}, "max_voice_sessions"),
        ({"REALTIME_MAX_VOICE_SESSIONS": "two"}, "max_voice_sessions"),
        ({"REALTIME_MAX_SESSION_MINUTES": "nan"}, "max_session_minutes"),
        ({"REALTIME_MAX_SESSION_MINUTES": "-1"}, "max_session_minutes"),
    ],
)
def test_an_unreadable_setting_fails_closed(environ: dict[str, str], named: str) -> None:
    rails = DeploymentSettings({}, environ).guardrails()
    assert not rails.voice_allowed
    assert any(named in problem for problem in rails.problems)


def test_login_providers_from_the_auth_section() -> None:
    assert login_providers({}) == ()
    assert login_providers({"auth": {}}) == ()
    plain = {"redirect_uri": "x", "cookie_secret": "y", "client_kwargs": {"prompt": "login"}}
    assert login_providers({"auth": plain}) == (None,)
    named = {**plain, "google": {"client_id": "a"}, "microsoft": {"client_id": "b"}}
    assert login_providers({"auth": named}) == ("google", "microsoft")


class FakeBridge:
    def __init__(self) -> None:
        self.running = False
        self.starts = 0

    def start(self) -> None:
        self.running = True
        self.starts += 1

    def stop(self) -> None:
        self.running = False


def test_slots_cap_running_bridges_and_free_when_one_stops() -> None:
    slots = SessionSlots()
    first, second, third = FakeBridge(), FakeBridge(), FakeBridge()
    assert slots.start(first, 2) and slots.start(second, 2)
    assert not slots.start(third, 2) and not third.running
    assert slots.start(first, 2)  # a holder keeps its slot (a rerun while it runs)
    assert slots.in_use() == 2
    second.stop()  # however it stopped: nobody needs to tell the slots
    assert slots.start(third, 2) and third.running
    assert slots.in_use() == 2


def test_slots_without_a_limit_start_everything() -> None:
    slots = SessionSlots()
    bridges = [FakeBridge() for _ in range(20)]
    assert all(slots.start(b, None) for b in bridges)


class FakeTimer:
    def __init__(self) -> None:
        self.armed: list[tuple[float, Callable[[], None]]] = []
        self.cancelled = 0

    def __call__(self, seconds: float, action: Callable[[], None]) -> FakeTimer:
        self.armed.append((seconds, action))
        return self

    def cancel(self) -> None:
        self.cancelled += 1


def test_minutes_count_from_the_first_start_and_stop_the_bridge() -> None:
    now = [100.0]
    timer = FakeTimer()
    allowance = SessionAllowance(2, clock=lambda: now[0], timer=timer)
    bridge = FakeBridge()
    assert allowance.remaining() == 120 and not allowance.expired
    bridge.start()
    allowance.begin(bridge.stop)
    assert timer.armed[-1][0] == 120
    now[0] += 90  # stopped and started again: the clock kept running
    allowance.begin(bridge.stop)
    assert timer.armed[-1][0] == 30 and timer.cancelled == 1
    now[0] += 30
    timer.armed[-1][1]()  # the timer fires on its own thread
    assert not bridge.running and allowance.expired


def test_no_minutes_limit_arms_no_timer() -> None:
    timer = FakeTimer()
    allowance = SessionAllowance(None, timer=timer)
    allowance.begin(lambda: None)
    assert timer.armed == [] and allowance.remaining() is None and not allowance.expired

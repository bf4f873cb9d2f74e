"""The inbox between the script thread and the bridge loop: order, settings first, waking."""

from __future__ import annotations

import asyncio

from realtime.client.config import SessionConfig
from realtime.client.inbox import ChangeSettings, Inbox
from realtime.client.values import Outcome


def command(name: str) -> object:
    def run() -> Outcome:
        return Outcome()

    run.__name__ = name
    return run


def test_items_come_out_in_the_order_they_were_posted() -> None:
    inbox = Inbox()
    a, b = command("a"), command("b")
    change = ChangeSettings(SessionConfig())
    for item in (a, change, b):
        inbox.post(item)  # type: ignore[arg-type]
    assert [inbox.pop(), inbox.pop(), inbox.pop(), inbox.pop()] == [a, change, b, None]


def test_settings_are_taken_before_connecting_and_commands_keep_their_order() -> None:
    inbox = Inbox()
    a, b = command("a"), command("b")
    first = ChangeSettings(SessionConfig(instructions="one"))
    second = ChangeSettings(SessionConfig(instructions="two"), api_key="sk-never-shown-1234")
    for item in (a, first, b, second):
        inbox.post(item)  # type: ignore[arg-type]
    assert inbox.take_settings() == [first, second]
    assert [inbox.pop(), inbox.pop(), inbox.pop()] == [a, b, None]
    assert "sk-never-shown" not in repr(second)


def test_waking_before_a_loop_is_bound_is_harmless_and_wait_returns_after_a_wake() -> None:
    inbox = Inbox()
    inbox.wake()  # no loop yet: nothing to wake, nothing raised
    assert not inbox.bound

    async def main() -> None:
        inbox.bind(asyncio.get_running_loop())
        inbox.post(command("a"))  # type: ignore[arg-type]
        await asyncio.wait_for(inbox.wait(), timeout=1.0)
        inbox.unbind()

    asyncio.run(main())
    assert not inbox.bound and inbox.pop() is not None

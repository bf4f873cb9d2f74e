"""The inbox between the script thread and the bridge loop: order, settings first, waking."""

from __future__ import annotations

import asyncio

from realtime.client.core.config import SessionConfig
from realtime.client.core.values import ClientOutcome
from realtime.client.io.inbox import ChangeSettings, Inbox


def command(name: str) -> object:
    def run() -> ClientOutcome:
        return ClientOutcome()

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


def test_a_wake_already_on_its_way_is_not_sent_again() -> None:
    inbox = Inbox()

    async def main() -> list[int]:
        inbox.bind(asyncio.get_running_loop())
        sent = []
        for _ in range(5):  # five chunks ready before the loop runs: one system call
            inbox.wake()
        sent.append(inbox.wakes_sent)
        await asyncio.wait_for(inbox.wait(), timeout=1.0)
        inbox.wake()  # the loop woke: the next chunk wakes it again
        sent.append(inbox.wakes_sent)
        await asyncio.wait_for(inbox.wait(), timeout=1.0)
        inbox.unbind()
        return sent

    assert asyncio.run(main()) == [1, 2]


def test_no_item_is_left_waiting_when_another_thread_posts_while_the_loop_wakes() -> None:
    import threading

    inbox = Inbox()
    posted = 20_000
    taken: list[object] = []

    async def main() -> None:
        inbox.bind(asyncio.get_running_loop())
        ready.set()
        while len(taken) < posted:
            while (item := inbox.pop()) is not None:
                taken.append(item)
            if len(taken) < posted:  # every item was posted with a wake: never stuck here
                await asyncio.wait_for(inbox.wait(), timeout=2.0)
        inbox.unbind()

    ready = threading.Event()

    def poster() -> None:
        ready.wait(2)
        for n in range(posted):
            inbox.post(command(str(n)))  # type: ignore[arg-type]

    thread = threading.Thread(target=poster)
    thread.start()
    asyncio.run(main())
    thread.join()
    assert len(taken) == posted
    assert inbox.wakes_sent < posted  # wakes coalesced while the loop was busy

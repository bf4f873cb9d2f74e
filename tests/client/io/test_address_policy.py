"""The outbound address policy: literals in every spelling, names resolving to private space,
the deployment's exceptions, pinning and redirects. Nothing here connects to a refused address:
names are resolved by fake resolvers, and the only sockets are on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest
from websockets.asyncio.server import serve
from websockets.datastructures import Headers
from websockets.http11 import Response

from realtime.client.io.address_policy import AddressPolicy, Target, address_class, parse_host
from realtime.client.io.outbound import checked_opener
from realtime.protocol.errors import ConnectionFailed

STRICT = AddressPolicy()


def fake(answers: dict[str, Sequence[str]]):  # type: ignore[no-untyped-def]
    asked: list[str] = []

    async def resolve(host: str, port: int) -> Sequence[str]:
        asked.append(host)
        if host not in answers:
            raise OSError("no such host")
        return answers[host]

    resolve.asked = asked  # type: ignore[attr-defined]
    return resolve


def check(
    url: str, policy: AddressPolicy = STRICT, answers: dict[str, Sequence[str]] | None = None
) -> Target:
    return asyncio.run(policy.check(url, fake(answers or {})))


REFUSED_LITERALS = [
    "ws://127.0.0.1:6379",
    "ws://localhost.:6379",
    "ws://169.254.169.254/latest/meta-data",
    "ws://10.0.0.1",
    "ws://172.16.5.4",
    "ws://192.168.1.1",
    "ws://100.64.0.1",
    "ws://0.0.0.0",
    "ws://[::1]:22",
    "ws://[::]:80",
    "ws://[fe80::1]",
    "ws://[fd00::1]",
    "ws://[fec0::1]",
    "ws://[ff02::1]",
    "ws://224.0.0.1",
    "ws://240.0.0.1",
    "ws://255.255.255.255",
    "ws://[::ffff:127.0.0.1]",
    "ws://[::ffff:a9fe:a9fe]",
    "ws://[64:ff9b::a00:1]",
    "ws://2130706433",  # decimal 127.0.0.1
    "ws://0177.0.0.1",  # octal
    "ws://0x7f.1",  # hex, short form
    "ws://0x7f000001",
    "ws://127.1",
    "ws://017700000001",
    "ws://0251.0376.0251.0376",  # 169.254.169.254 in octal
    "ws://192.0.2.1",  # documentation
]


@pytest.mark.parametrize("url", REFUSED_LITERALS)
def test_refused_literals(url: str) -> None:
    answers = {"localhost.": ["127.0.0.1"]}
    with pytest.raises(ConnectionFailed, match="refused") as info:
        check(url, answers=answers)
    assert not info.value.retryable


def test_literal_is_never_looked_up() -> None:
    resolve = fake({})
    with pytest.raises(ConnectionFailed):
        asyncio.run(STRICT.check("ws://2130706433", resolve))
    assert resolve.asked == []  # type: ignore[attr-defined]


@pytest.mark.parametrize("addresses", [["10.1.2.3"], ["93.184.216.34", "127.0.0.1"], ["fd12::1"]])
def test_names_resolving_to_private_space_are_refused(addresses: list[str]) -> None:
    with pytest.raises(ConnectionFailed, match="refused"):
        check("wss://internal.example/v1", answers={"internal.example": addresses})


def test_refusal_reads_the_same_whatever_the_port() -> None:
    messages = set()
    for port in (22, 6379, 8765, 65535):
        with pytest.raises(ConnectionFailed) as info:
            check(f"ws://10.0.0.5:{port}")
        messages.add(str(info.value))
    assert len(messages) == 1


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://api.example", "only ws://"),
        ("ftp://api.example", "only ws://"),
        ("wss://user:pw@api.example", "user name"),
        ("wss://api.example:0", "port"),
        ("wss://api.example:99999", "port"),
        ("ws://256.1.1.1", "no valid one"),
    ],
)
def test_scheme_credentials_and_port_rules(url: str, words: str) -> None:
    with pytest.raises(ConnectionFailed, match=words):
        check(url, answers={"api.example": ["93.184.216.34"]})


def test_public_name_is_pinned_to_the_checked_address() -> None:
    target = check("wss://api.example/v1", answers={"api.example": ["93.184.216.34"]})
    assert (target.host, target.port, target.secure, target.address) == (
        "api.example",
        443,
        True,
        "93.184.216.34",
    )


def test_unresolvable_name() -> None:
    with pytest.raises(ConnectionFailed, match="could not be resolved"):
        check("wss://nowhere.example")


def test_deployment_exceptions() -> None:
    assert check("ws://10.0.0.1:9", AddressPolicy(allow_private=True)).address == "10.0.0.1"
    hosts = AddressPolicy.from_settings(allowed_hosts="engine.internal:8765, other.internal")
    answers = {"engine.internal": ["10.0.0.7"], "other.internal": ["10.0.0.8"]}
    assert check("ws://engine.internal:8765/v1", hosts, answers).address == "10.0.0.7"
    assert check("ws://other.internal:1/v1", hosts, answers).address == "10.0.0.8"
    with pytest.raises(ConnectionFailed):
        check("ws://engine.internal:8766/v1", hosts, answers)
    assert AddressPolicy.from_settings(allow_private="true").allow_private
    assert not AddressPolicy.from_settings(allow_private=None).allow_private


def test_only_the_in_process_engine_port_is_trusted() -> None:
    policy = STRICT.trusting([("127.0.0.1", 40001)])
    assert check("ws://127.0.0.1:40001/v1", policy).address == "127.0.0.1"
    with pytest.raises(ConnectionFailed):
        check("ws://127.0.0.1:40002/v1", policy)


def test_address_classes() -> None:
    assert address_class(parse_host("8.8.8.8")) is None  # type: ignore[arg-type]
    assert address_class(parse_host("2606:4700::1111")) is None  # type: ignore[arg-type]
    assert address_class(parse_host("169.254.1.1")) == "link-local"  # type: ignore[arg-type]
    assert address_class(parse_host("fd00::1")) == "unique-local"  # type: ignore[arg-type]
    assert parse_host("api.openai.com") is None


# ---- the opener, against servers on 127.0.0.1 -------------------------------------------
def test_opener_connects_to_the_checked_address_not_a_second_lookup() -> None:
    """The URL names a host the system cannot resolve (``rebind.test``); the connection still
    reaches the address the policy checked, and the resolver is asked once: websockets did
    no lookup of its own, so a DNS answer that changes after the check cannot steer it."""

    async def scenario() -> None:
        async def handler(ws):  # type: ignore[no-untyped-def]
            await ws.send("reached")

        async with serve(handler, "127.0.0.1", 0) as server:
            port = server.sockets[0].getsockname()[1]
            calls = 0

            async def resolve(host: str, p: int) -> Sequence[str]:
                nonlocal calls
                calls += 1
                return ["127.0.0.1"]  # trusted for this test: the engine's exact port

            opener = checked_opener(STRICT.trusting([("rebind.test", port)]), resolve=resolve)
            transport = await opener(f"ws://rebind.test:{port}/v1", {})
            assert calls == 1
            frames = transport.frames()
            assert await frames.__anext__() == "reached"
            await transport.close()

    asyncio.run(scenario())


def test_opener_refuses_before_any_connection() -> None:
    async def scenario() -> None:
        async def resolve(host: str, p: int) -> Sequence[str]:
            return ["10.9.9.9"]

        opener = checked_opener(STRICT, resolve=resolve)
        with pytest.raises(ConnectionFailed, match="refused"):
            await opener("ws://intranet.test:80/v1", {})

    asyncio.run(scenario())


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_redirects_are_not_followed(status: int) -> None:
    async def scenario() -> None:
        def redirect(connection, request):  # type: ignore[no-untyped-def]
            headers = Headers({"Location": "ws://169.254.169.254/", "X-Secret": "internal"})
            return Response(status, "Moved", headers, b'{"token": "internal"}')

        async def handler(ws):  # type: ignore[no-untyped-def]
            await ws.send("unreachable")

        async with serve(handler, "127.0.0.1", 0, process_request=redirect) as server:
            port = server.sockets[0].getsockname()[1]
            opener = checked_opener(STRICT.trusting([("127.0.0.1", port)]))
            with pytest.raises(ConnectionFailed) as info:
                await opener(f"ws://127.0.0.1:{port}/v1", {"Authorization": "Bearer sk"})
            text = str(info.value)
            assert "redirect" in text and "not followed" in text
            assert "internal" not in text and "169.254" not in text

    asyncio.run(scenario())


def test_header_with_a_line_break_is_refused_unsent() -> None:
    async def scenario() -> None:
        opener = checked_opener(STRICT.trusting([("127.0.0.1", 9)]))
        with pytest.raises(ConnectionFailed) as info:
            await opener("ws://127.0.0.1:9/v1", {"Authorization": "Bearer sk-a\r\nX: y"})
        assert "sk-a" not in str(info.value)

    asyncio.run(scenario())

"""Open a WebSocket only to an address the policy checked, and follow no redirect.

Runs on the bridge thread's asyncio loop; ``checked_opener(policy)`` is what the app gives the
bridge as its ``open_transport``. The URL is checked by ``AddressPolicy`` (resolved once), then
the TCP connection goes to that very address: websockets' ``connect`` takes ``host``/``port``
overrides for the socket while the URL's host still names the server in the ``Host`` header and
for TLS (``server_hostname``). A 3xx answer is not followed (its ``Location`` was never
checked) and becomes a plain "redirects are not followed" status. No proxy from the
environment is used: it would do its own lookup of the name.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from websockets.asyncio.client import connect

from realtime.client.io.address_policy import AddressPolicy, Resolver, system_resolver
from realtime.client.io.transport import Transport, open_transport

__all__ = ["NoRedirectConnect", "checked_opener"]


class NoRedirectConnect(connect):
    """websockets' ``connect`` that treats every redirect as the refusal it carries."""

    def process_redirect(self, exc: Exception) -> Exception | str:
        return exc


def checked_opener(
    policy: AddressPolicy | Callable[[], AddressPolicy],
    *,
    resolve: Resolver = system_resolver,
) -> Callable[..., Awaitable[Transport]]:
    """An ``open_transport`` for the bridge that applies ``policy`` to every URL it opens
    (a callable is asked at each attempt, so an engine started later is trusted)."""

    async def open_checked(url: str, headers: dict[str, str], **options: Any) -> Transport:
        current = policy if isinstance(policy, AddressPolicy) else policy()
        target = await current.check(url, resolve)
        return await open_transport(
            url,
            headers,
            host=target.address,
            port=target.port,
            proxy=None,
            connector=NoRedirectConnect,
            **options,
        )

    return open_checked

"""The HTTP under the engine's MCP client: pinned to the checked address, bounded, no redirects.

Runs on the server's event loop, inside one ``ListMcpTools`` or ``CallMcp`` job
(``realtime.local.mcp.client``). Every request goes to the address the policy checked
(``realtime.protocol.address_policy.Target``), naming the host for TLS and ``Host``, so a DNS
answer that changes after the check cannot move it; a request for any other host or port is
refused (the MCP SDK follows a redirect only within the origin, and this one is the origin).
No proxy from the environment. An answer's body past ``limit`` bytes breaks off, and the
transport remembers it, so the job can say the answer was too large.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import httpx2

from realtime.protocol.address_policy import Target

__all__ = ["PinnedTransport"]

# httpx2 logs every request's URL at INFO: a visitor's key in a server_url's query would reach
# the engine's log. Its warnings still show.
logging.getLogger("httpx2").setLevel(logging.WARNING)


class PinnedTransport(httpx2.AsyncBaseTransport):
    """See the module docstring; ``too_large`` is True once an answer passed ``limit``."""

    def __init__(self, target: Target, limit: int) -> None:
        self._target = target
        self.limit = limit
        self._inner = httpx2.AsyncHTTPTransport(trust_env=False, retries=0)
        self.too_large = False

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        target = self._target
        port = request.url.port or (443 if request.url.scheme == "https" else 80)
        if (request.url.host, port) != (target.host, target.port):
            raise httpx2.ConnectError("refused: a request for another host", request=request)
        request.url = request.url.copy_with(host=target.address)
        if target.secure:
            request.extensions = {**request.extensions, "sni_hostname": target.host}
        response = await self._inner.handle_async_request(request)
        assert isinstance(response.stream, httpx2.AsyncByteStream)  # an async transport's
        return httpx2.Response(
            response.status_code,
            headers=response.headers,
            stream=_Bounded(response.stream, self),
            extensions=response.extensions,
            request=request,
        )

    async def aclose(self) -> None:
        await self._inner.aclose()

    def exceeded(self) -> None:
        self.too_large = True


class _Bounded(httpx2.AsyncByteStream):
    def __init__(self, stream: httpx2.AsyncByteStream, owner: PinnedTransport) -> None:
        self._stream = stream
        self._owner = owner

    async def __aiter__(self) -> AsyncIterator[bytes]:
        size = 0
        async for chunk in self._stream:
            size += len(chunk)
            if size > self._owner.limit:
                self._owner.exceeded()
                raise httpx2.ReadError("the answer is larger than the engine reads")
            yield chunk

    async def aclose(self) -> None:
        await self._stream.aclose()

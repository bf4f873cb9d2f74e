"""The outbound address policy: which URLs the app's server (or the engine) may open.

Runs on the caller's asyncio loop (the bridge thread's, once per connection attempt; the
engine's, once per MCP server URL) before any packet leaves. A URL typed in the sidebar, or an
MCP ``server_url`` a client hands the engine, is untrusted (DESIGN section 8). It lives in
``protocol`` because the client and the engine apply the same rules. The rules:

- **Scheme**: ``ws`` or ``wss`` by default (``http(s)`` is mapped earlier by ``config.ws_url``);
  the engine's MCP client passes ``schemes=HTTP_SCHEMES`` (``http`` / ``https``).
- **Host**: a name or an IP literal; no ``user:password@``. IPv4 literals in the forms the C
  resolver also accepts (decimal ``2130706433``, octal ``0177.0.0.1``, hex ``0x7f.1``, short
  ``127.1``) are read as the address they name, never looked up.
- **Port**: 1 to 65535; 80 / 443 by default. The port is not otherwise restricted: the address
  rule below is what keeps a visitor out of the deployment's network.
- **Address**: the host is resolved once and *every* address it resolves to must be public.
  Loopback, private (RFC 1918, CGNAT), link-local (``169.254/16``, cloud metadata), unique-local
  (``fc00::/7``), site-local, multicast, unspecified (``0.0.0.0``, ``::``), reserved and
  documentation ranges are refused, seen through IPv4-mapped (``::ffff:a.b.c.d``) and NAT64
  (``64:ff9b::/96``) forms. A refusal reads the same whatever the port, so it maps nothing.
- **Pinning**: the connection goes to the address that was checked (``Target.address``), with
  the name kept for TLS (SNI and certificate) and the ``Host`` header: no second lookup, so a
  DNS answer that changes between check and connect (rebinding) cannot redirect it.
- **Exceptions**, set by the deployer only: ``allow_private`` (``REALTIME_ALLOW_PRIVATE_URLS``)
  lifts the address rule; ``allowed_hosts`` (``allowed_hosts`` in secrets, or
  ``REALTIME_ALLOWED_HOSTS``, comma separated ``host`` or ``host:port``) lifts it for those
  hosts; ``trusted`` holds the exact ``(host, port)`` of the in-process engine, which the app
  starts itself.

Redirects are refused by the opener (``realtime.client.io.outbound``), so no hop goes unchecked.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import SplitResult, urlsplit

from realtime.protocol.errors import ConnectionFailed

__all__ = [
    "HTTP_SCHEMES",
    "WS_SCHEMES",
    "AddressPolicy",
    "AddressRefused",
    "Resolver",
    "Target",
    "address_class",
    "parse_host",
    "system_resolver",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]
"""``(host, port) -> addresses``; the default asks the system resolver (``getaddrinfo``)."""

_DEFAULT_PORTS = {"ws": 80, "wss": 443}
WS_SCHEMES: Mapping[str, int] = _DEFAULT_PORTS
HTTP_SCHEMES: Mapping[str, int] = {"http": 80, "https": 443}
_NUMERIC_V4 = re.compile(r"(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+)){0,3}", re.IGNORECASE)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_UNIQUE_LOCAL = ipaddress.ip_network("fc00::/7")


async def system_resolver(host: str, port: int) -> Sequence[str]:
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def parse_host(host: str) -> IPAddress | None:
    """The address an IP literal names, in any form a resolver would accept; None for a name.

    Raises ``ValueError`` for a numeric-looking host that is no valid address (``256.1``):
    such a name would be read differently by different resolvers, so it is refused.
    """
    text = host.strip("[]")
    try:
        return ipaddress.ip_address(text.split("%", 1)[0])  # an IPv6 zone id names no address
    except ValueError:
        pass
    if _NUMERIC_V4.fullmatch(text):
        return ipaddress.IPv4Address(socket.inet_aton(text))  # ValueError (OSError) if invalid
    return None


def address_class(address: IPAddress) -> str | None:
    """The refused class ``address`` falls in ("loopback", "private" ...), or None if public."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address_class(address.ipv4_mapped)
        if address in _NAT64:
            return address_class(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    checks = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("unique-local", isinstance(address, ipaddress.IPv6Address) and address in _UNIQUE_LOCAL),
        ("site-local", isinstance(address, ipaddress.IPv6Address) and address.is_site_local),
        ("private", address.is_private or address in _CGNAT),
        ("reserved", address.is_reserved),
    )
    for name, hit in checks:
        if hit:
            return name
    return None if address.is_global else "reserved"


@dataclass(frozen=True)
class Target:
    """A checked URL: connect to ``address``:``port``, naming ``host`` for TLS and ``Host``."""

    url: str
    host: str
    port: int
    secure: bool
    address: str


def _refuse(target: str, why: str) -> ConnectionFailed:
    return ConnectionFailed(f"{target}: refused: {why}", retryable=False)


_PLAIN = {
    "loopback": "a loopback address (the app's own server)",
    "private": "a private network address",
    "link-local": "a link-local address (where cloud metadata services answer)",
    "unique-local": "a unique-local IPv6 address (a private network)",
    "site-local": "a site-local IPv6 address (a private network)",
    "multicast": "a multicast address",
    "unspecified": "the unspecified address (0.0.0.0 or ::)",
    "reserved": "a reserved or documentation address",
    "unreadable": "an address that cannot be read",
}


class AddressRefused(ConnectionFailed):
    """A host refused by the address rule: ``address_class`` says which class it fell in.

    The message says why in plain words and which deployment setting would allow it; it names
    the host the visitor typed and never the port, so it reads the same for every port."""

    def __init__(self, host: str, address_class: str) -> None:
        self.host = host
        self.address_class = address_class
        super().__init__(
            f"{host}: refused: it is, or resolves to, {_PLAIN.get(address_class, address_class)}"
            ", and this deployment opens only public addresses, so that no visitor can reach "
            "inside its network. Whoever runs the app can allow it: REALTIME_ALLOW_PRIVATE_URLS=1 "
            f'for every private address, or allowed_hosts = ["{host}"] in Streamlit secrets '
            f"(REALTIME_ALLOWED_HOSTS={host} in the environment) for this host alone.",
            retryable=False,
        )


@dataclass(frozen=True)
class AddressPolicy:
    """See the module docstring; ``check`` returns the ``Target`` to connect to."""

    allow_private: bool = False
    allowed_hosts: frozenset[str] = frozenset()
    trusted: frozenset[tuple[str, int]] = field(default_factory=frozenset)

    @classmethod
    def from_settings(
        cls,
        *,
        allow_private: object = None,
        allowed_hosts: object = None,
        trusted: Collection[tuple[str, int]] = (),
    ) -> AddressPolicy:
        """From deployment settings: ``"1"``/``"true"``/``True`` allow; hosts as a list or a
        comma-separated string."""
        allow = str(allow_private).strip().lower() in ("1", "true", "yes", "on")
        if isinstance(allowed_hosts, str):
            hosts = allowed_hosts.split(",")
        elif isinstance(allowed_hosts, list | tuple):
            hosts = [str(h) for h in allowed_hosts]
        else:
            hosts = []
        return cls(
            allow,
            frozenset(h.strip().lower() for h in hosts if h.strip()),
            frozenset((h.lower(), p) for h, p in trusted),
        )

    def trusting(self, addresses: Collection[tuple[str, int]]) -> AddressPolicy:
        """This policy, also letting through exactly ``addresses`` (the in-process engine)."""
        extra = frozenset((h.lower(), p) for h, p in addresses)
        return AddressPolicy(self.allow_private, self.allowed_hosts, self.trusted | extra)

    async def check(
        self,
        url: str,
        resolve: Resolver = system_resolver,
        *,
        schemes: Mapping[str, int] = WS_SCHEMES,
    ) -> Target:
        """The ``Target`` for ``url``, or ``ConnectionFailed`` saying which rule refused it;
        ``schemes`` are the URL schemes opened, with their default ports."""
        parts = urlsplit(url)
        shown = parts.hostname or url
        if parts.scheme not in schemes:
            listed = " and ".join(f"{name}://" for name in schemes)
            raise _refuse(shown, f"only {listed} URLs are opened")
        if parts.username is not None or parts.password is not None:
            raise _refuse(shown, "a URL with a user name or password is not opened")
        host = (parts.hostname or "").lower()
        if not host:
            raise _refuse(url, "the URL has no host")
        port = _port(parts, host, schemes)
        secure = parts.scheme in ("wss", "https")
        addresses = await _addresses(host, port, resolve)
        exempt = (
            self.allow_private
            or (host, port) in self.trusted
            or host in self.allowed_hosts
            or f"{host}:{port}" in self.allowed_hosts
        )
        if not exempt:
            for text in addresses:
                try:
                    found = address_class(ipaddress.ip_address(text.split("%", 1)[0]))
                except ValueError:
                    found = "unreadable"
                if found is not None:
                    raise AddressRefused(host, found)
        return Target(url, host, port, secure, addresses[0])


def _port(parts: SplitResult, host: str, schemes: Mapping[str, int]) -> int:
    """The URL's port, its scheme's default when it names none."""
    try:
        port = parts.port if parts.port is not None else schemes[parts.scheme]
    except ValueError:
        raise _refuse(host, "the port is not a number from 1 to 65535") from None
    if not 0 < port < 65536:
        raise _refuse(host, "the port is not a number from 1 to 65535")
    return port


async def _addresses(host: str, port: int, resolve: Resolver) -> Sequence[str]:
    """The addresses ``host`` names: itself when an IP literal, else what ``resolve`` answers."""
    try:
        literal = parse_host(host)
    except (ValueError, OSError):
        raise _refuse(host, "the host looks like an IP address but is no valid one") from None
    if literal is not None:
        return [str(literal)]
    try:
        addresses = await resolve(host, port)
    except (OSError, UnicodeError):
        addresses = []
    if not addresses:
        raise ConnectionFailed(
            f"{host}: the host name could not be resolved; check the URL and your network"
        )
    return addresses

"""The outbound address policy, as the bridge imports it: the rules live in
``realtime.protocol.address_policy``, shared with the engine's MCP client (one set of rules)."""

from realtime.protocol.address_policy import (
    AddressPolicy,
    AddressRefused,
    Resolver,
    Target,
    address_class,
    parse_host,
    system_resolver,
)

__all__ = [
    "AddressPolicy",
    "AddressRefused",
    "Resolver",
    "Target",
    "address_class",
    "parse_host",
    "system_resolver",
]

"""The sidebar's MCP servers: label, URL, allowed tools, approval, headers and a key per server.

Runs on the Streamlit script thread at every rerun, called by ``realtime.ui.sidebar`` with one
line. Each server's widgets become one ``McpServer`` (``realtime.client.core.mcp``) in the
sidebar's ``Settings``; what is refused is kept in ``Settings.mcp_problems`` and explained under
that server, and the session keeps its last valid settings. A URL the deployment's address
policy refuses (``REALTIME_ALLOW_PRIVATE_URLS``, ``REALTIME_ALLOWED_HOSTS``) is refused here,
before anything connects: the hosted API or the bundled engine would open it, and a visitor must
not reach inside the deployment's network through either.

A server's key is bound to its URL like every other key (``realtime.ui.keys``): its password
widget is keyed by the URL, so a key typed for one server is never sent to another URL typed
later; it lives in this browser session's widget state only and is never shown back.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from realtime.client.core.mcp import APPROVALS, McpServer
from realtime.protocol.errors import ConfigError
from realtime.protocol.facts import ApiVersion
from realtime.ui.gatekeeper import url_refusal
from realtime.ui.settings import Settings

__all__ = ["MAX_SHOWN", "key_widget", "mcp_servers", "parse_headers", "split_names"]

MAX_SHOWN = 4  # servers the sidebar offers (the config takes up to MAX_MCP_SERVERS)
Slots = dict[str, DeltaGenerator]


def key_widget(url: str) -> str:
    """The password widget of the key for ``url``: a new URL starts with no key."""
    return "rvs.mcp.key." + hashlib.sha256(url.strip().encode()).hexdigest()[:16]


def split_names(text: str) -> tuple[str, ...]:
    """``"search, fetch"`` as ``("search", "fetch")``."""
    return tuple(name.strip() for name in text.replace("\n", ",").split(",") if name.strip())


def parse_headers(where: str, text: str) -> tuple[tuple[str, str], ...]:
    """``Name: value`` lines; a line that is not one is named by its number, never echoed (its
    value may be a secret)."""
    headers = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        name, colon, value = line.partition(":")
        if not colon or not name.strip():
            raise ConfigError(where, f"headers line {number} is not 'Name: value'")
        headers.append((name.strip(), value.strip()))
    return tuple(headers)


def mcp_servers(settings: Settings, slots: Slots) -> Settings:
    """The MCP group of the sidebar; its servers and problems in ``settings``."""
    st.subheader("MCP servers")
    if settings.api_version is ApiVersion.BETA:
        st.caption("The beta API has no MCP tools: choose GA to give the model MCP servers.")
        return replace(settings, mcp_servers=(), mcp_problems=())
    count = st.number_input(
        "Remote MCP servers",
        0,
        MAX_SHOWN,
        0,
        key="rvs.mcp.count",
        help="The server (OpenAI, or the bundled engine) lists each server's tools and calls "
        "them during the conversation; the conversation shows each call.",
    )
    servers: list[McpServer] = []
    problems: list[tuple[str, str]] = []
    for index in range(int(count)):
        with st.expander(f"MCP server {index + 1}", expanded=True):
            server, problem = _server(index, slots)
        if server is not None:
            servers.append(server)
        if problem is not None:
            problems.append(problem)
    return replace(settings, mcp_servers=tuple(servers), mcp_problems=tuple(problems))


def _server(index: int, slots: Slots) -> tuple[McpServer | None, tuple[str, str] | None]:
    prefix = f"rvs.mcp.{index}"
    label = st.text_input("Label", key=f"{prefix}.label", placeholder="docs").strip()
    url = st.text_input(
        "Server URL", key=f"{prefix}.url", placeholder="https://mcp.example.com/mcp"
    ).strip()
    allowed = st.text_input(
        "Allowed tools", key=f"{prefix}.allowed", help="Comma-separated; empty: every tool."
    )
    approval = st.radio(
        "Ask me before a call", APPROVALS, horizontal=True, key=f"{prefix}.approval"
    )
    ask = trust = ""
    if approval == "per tool":
        ask = st.text_input("Tools that ask first", key=f"{prefix}.ask")
        trust = st.text_input("Tools that run without asking", key=f"{prefix}.trust")
    headers = st.text_area(
        "Headers",
        key=f"{prefix}.headers",
        placeholder="X-Team: voice",
        height=68,
        help="One 'Name: value' a line. Put a secret in the key field below: it is never shown.",
    )
    typed = st.text_input(
        "Key (authorization)",
        type="password",
        key=key_widget(url),
        disabled=not url,
        help="Sent only to this server's URL (a new URL needs its key again); never shown back.",
    )
    where = f"mcp_servers.{label}" if label else f"mcp_servers.{index + 1}"
    slots[where] = st.container()
    if not label and not url:
        st.caption("Give it a label and a URL to use it.")
        return None, None
    try:
        if refusal := url_refusal(url, trust_engine=False):
            raise ConfigError(where, f"this server URL is not allowed here: {refusal}")
        server = McpServer(
            label,
            url,
            allowed_tools=split_names(allowed),
            approval=approval or "always",
            ask_tools=split_names(ask),
            trust_tools=split_names(trust),
            headers=parse_headers(where, headers),
            authorization=typed.strip() or None,
        )
    except ConfigError as exc:
        slots.setdefault(exc.field, slots[where])
        return None, (exc.field, str(exc))
    return server, None

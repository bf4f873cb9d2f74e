"""Checks a wire payload against the official SDK's Realtime models (the ``openai`` package,
a test requirement only).

The SDK's models accept unknown keys (``extra="allow"``), so a misspelt field would pass a plain
``model_validate``; :func:`sdk_check` also walks the validated model and fails on any key the
SDK does not define, naming its path.
"""

from __future__ import annotations

from typing import Any

from openai.types.realtime.realtime_client_event import RealtimeClientEvent
from openai.types.realtime.realtime_server_event import RealtimeServerEvent
from openai.types.realtime.realtime_session_create_request import RealtimeSessionCreateRequest
from pydantic import BaseModel, TypeAdapter

__all__ = ["sdk_client_event", "sdk_server_event", "sdk_session"]

_SERVER = TypeAdapter(RealtimeServerEvent)
_CLIENT = TypeAdapter(RealtimeClientEvent)


def _no_extra(value: Any, path: str) -> None:
    if isinstance(value, BaseModel):
        extra = value.model_extra or {}
        assert not extra, f"{path}: the SDK does not define {sorted(extra)}"
        for name in type(value).model_fields:
            _no_extra(getattr(value, name), f"{path}.{name}")
    elif isinstance(value, list | tuple):
        for index, sub in enumerate(value):
            _no_extra(sub, f"{path}[{index}]")
    elif isinstance(value, dict):
        for key, sub in value.items():
            _no_extra(sub, f"{path}.{key}")


def sdk_server_event(event: dict[str, Any]) -> BaseModel:
    """``event`` as the SDK's server event model; fails on a wrong or unknown field."""
    model: BaseModel = _SERVER.validate_python(event)
    _no_extra(model, str(event.get("type")))
    return model


def sdk_client_event(event: dict[str, Any]) -> BaseModel:
    """``event`` as the SDK's client event model; fails on a wrong or unknown field."""
    model: BaseModel = _CLIENT.validate_python(event)
    _no_extra(model, str(event.get("type")))
    return model


def sdk_session(session: dict[str, Any]) -> BaseModel:
    """A GA ``session`` object as the SDK's session model; fails on a wrong or unknown field."""
    model = RealtimeSessionCreateRequest.model_validate(session)
    _no_extra(model, "session")
    return model

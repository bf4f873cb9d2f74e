"""Loggers for WebSocket connections that never log a handshake (it carries the API key).

websockets logs handshake headers (``Authorization``, ``api-key``) at DEBUG. Both ends of the
protocol (the client's transport and the local engine's server) hand websockets a logger from
here, pinned at INFO, so running the app or the engine with ``LOG_LEVEL=DEBUG`` still keeps every
key out of the logs.
"""

from __future__ import annotations

import logging

__all__ = ["wire_logger"]


def wire_logger(name: str) -> logging.Logger:
    """The logger ``name``, pinned at INFO: DEBUG records (handshake headers) are dropped."""
    logger = logging.getLogger(name)
    logger.setLevel(logging.INFO)
    return logger

"""Realtime Voice Studio: the OpenAI Realtime protocol, client and offline server side.

Pure core: ``events`` (names, parse, serialise), ``config`` (SessionConfig and session.update
payloads per API version), ``conversation`` (sans-I/O state), ``audio`` (PCM16 helpers).
"""

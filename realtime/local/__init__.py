"""The bundled local engine: an offline server for the Realtime protocol (DESIGN.md section 5).

``server.EngineServer`` serves it (in-process with ``start()``, or ``python -m realtime.local``)
on the loop thread of ``server_thread.ServerThread``; ``session.server_session.ServerSession`` is
the sans-I/O protocol state machine of one connection (with ``session.listening`` for the input
side and ``session.driver`` for the response in progress); the stages are ``vad``, ``asr``,
``responder`` (``rules``, ``llm``) and ``tts``. Nothing heavy is imported here.
"""

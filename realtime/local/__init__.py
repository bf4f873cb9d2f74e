"""The bundled local engine: an offline server for the Realtime protocol (DESIGN.md section 5).

``server.EngineServer`` serves it (in-process with ``start()``, or ``python -m realtime.local``)
on the loop thread of ``server_thread.ServerThread``; ``session.server_session.ServerSession`` is
the sans-I/O protocol state machine of one connection (with ``session.listening`` for the
listening side and ``session.responding`` for the responding side); the stages, one folder per
kind under ``stages``, are ``vad``, ``asr``, ``responders`` (chosen in ``responders.factory``),
``text`` (sentence rules) and ``tts``. Nothing heavy is imported here.
"""

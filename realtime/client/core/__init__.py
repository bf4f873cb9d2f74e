"""The client's sans-I/O core: plain objects owned by whichever thread calls them (the bridge's).

Feed ``conversation.Conversation`` server events and ask it for client events; every call hands
back one ``values.ClientOutcome``. Around it: ``config`` (``SessionConfig``), ``session_update``
(the payload per API version), ``endpoint`` (URL and headers), ``replay``, ``session_clock``,
``chunk_pace`` and ``snapshot``. No sockets, threads, event loops or media here, and nothing
from ``realtime.client.io`` (a contract in ``pyproject.toml``).
"""

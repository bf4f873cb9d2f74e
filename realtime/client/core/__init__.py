"""The client's sans-I/O core: plain objects owned by whichever thread calls them (the bridge's).

Feed ``conversation.Conversation`` server events and ask it for client events; every such call
hands back one ``values.ClientOutcome``. Its state and the changes its handlers share are
``state.ConversationState``; the handlers (``handlers``, ``response_handlers``, ``wire_items``)
are functions over it. Around it: ``config`` (``SessionConfig``), ``session_update`` (the
payload per API version), ``endpoint`` (URL and headers), ``replay``, ``session_clock``,
``chunk_pace`` and ``snapshot``. No sockets, threads, event loops or media here, and nothing
from ``realtime.client.io`` (contracts in ``pyproject.toml``).
"""

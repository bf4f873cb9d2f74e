"""The client's I/O around the core: the bridge thread and its event loop, the WebSocket, the
queues between threads, and audio in and out.

``bridge.Bridge`` starts the thread; ``link`` connects with backoff; ``pump`` moves events
between each connection (``transport``, opened through ``outbound`` and ``address_policy``) and
the core's ``Conversation``; ``inbox``, ``mic_queue`` and ``playback`` are the hand-offs with
the Streamlit and media threads; ``publisher`` the published snapshot; ``tool_desk`` runs tools.
"""

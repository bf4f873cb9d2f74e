"""Images in a turn: who may look at them, and what a responder that cannot see says.

Pure; read by the responders on the worker threads. The engine's own models read text only, so
a turn whose latest user message carries an image (``Message.images``, data URIs of
``input_image`` parts) is answered with :data:`NO_SIGHT` by the rules, in place of anything
they would guess from the words; a chat-completions backend (``--responder URL``) marks itself
``sees_images`` and gets the turn with its images, in the OpenAI chat format
(``realtime.local.stages.responders.chat_http``), when the model behind the URL can see.
"""

from __future__ import annotations

from realtime.local.stages.responders.responder import ResponseRequest

__all__ = ["NO_SIGHT", "latest_images", "sees_images"]

NO_SIGHT = (
    "I can't see images: this offline engine reads only words, so I did not look at the "
    "picture. Tell me what it shows and I will help with that, or start the engine with a "
    "vision model: --responder and the URL of an OpenAI-compatible chat endpoint."
)


def latest_images(request: ResponseRequest) -> tuple[str, ...]:
    """The images of the conversation's latest user message (none if it has none)."""
    for message in reversed(request.messages):
        if message.type == "message" and message.role == "user":
            return message.images
    return ()


def sees_images(responder: object) -> bool:
    """Whether ``responder`` passes images to a model (it says so itself)."""
    return bool(getattr(responder, "sees_images", False))

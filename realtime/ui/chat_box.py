"""The voice page's chat box: typed text with pictures attached, and a camera snapshot.

Runs on the Streamlit script thread. ``st.chat_input`` takes text and image files (PNG, JPEG,
WebP, GIF; by drag and drop, the paperclip, or a paste where the browser allows); a
**Camera** toggle shows ``st.camera_input`` (the browser asks for the camera; where it refuses,
the widget says so), whose photo goes with the next message or alone with its own button. Each
file is checked and scaled by ``realtime.client.core.images`` before anything is sent; a file
that cannot go is refused in one sentence and nothing of the message is sent, the typed text
shown back so it can be sent again. A beta session takes no images: refused in words too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

from realtime.client.core.config import SessionConfig
from realtime.client.core.conversation import NO_BETA_IMAGES
from realtime.client.core.images import (
    ACCEPTED_SUFFIXES,
    MAX_IMAGES_PER_MESSAGE,
    ImageRefused,
    prepare_image,
)
from realtime.client.core.values import AttachedImage
from realtime.protocol.facts import ApiVersion

__all__ = ["CHAT_KEY", "Outgoing", "chat_box", "read_message"]

CHAT_KEY = "rvs.chat"
_CAMERA_ON = "rvs.camera_on"
_CAMERA_ROUND = "rvs.camera_round"  # a new key clears the photo once it was sent


@dataclass(frozen=True)
class Outgoing:
    """A message ready for ``Bridge.send_text``."""

    text: str
    images: tuple[AttachedImage, ...] = ()


def read_message(
    text: str, files: Sequence[tuple[str, bytes]], version: ApiVersion
) -> Outgoing | str:
    """The message to send, or why nothing is sent (one sentence). ``files``: (name, bytes)."""
    if files and version is not ApiVersion.GA:
        return NO_BETA_IMAGES
    if len(files) > MAX_IMAGES_PER_MESSAGE:
        return (
            f"{len(files)} pictures were attached and one message takes at most "
            f"{MAX_IMAGES_PER_MESSAGE}, so nothing was sent."
        )
    images = []
    for name, data in files:
        try:
            images.append(prepare_image(data, name))
        except ImageRefused as exc:
            return str(exc)
    return Outgoing(text.strip(), tuple(images))


def chat_box(config: SessionConfig) -> Outgoing | None:
    """Draw the camera toggle and the chat input; the message submitted in this run, if any."""
    photo = _camera()
    send_photo = photo is not None and st.button("Send this picture", icon=":material/send:")
    value = st.chat_input(
        "Type a message, or attach a picture",
        accept_file="multiple",
        file_type=list(ACCEPTED_SUFFIXES),  # the upload bound: server.maxUploadSize (config.toml)
        key=CHAT_KEY,
    )
    if value is None and not send_photo:
        return None
    text = value.text if value is not None else ""
    files = [(f.name, f.getvalue()) for f in (value.files if value is not None else [])]
    if photo is not None:
        files.append(("The camera snapshot", photo.getvalue()))
    message = read_message(text, files, config.api_version)
    if isinstance(message, str):
        st.error(message, icon=":material/hide_image:")
        if text.strip():
            st.caption(f"Not sent: {text.strip()}")
        return None
    if photo is not None:
        st.session_state[_CAMERA_ROUND] = st.session_state.get(_CAMERA_ROUND, 0) + 1
    return message if message.text or message.images else None


def _camera() -> UploadedFile | None:
    """The camera's photo while the toggle is on (it goes with the next message)."""
    if not st.toggle(
        "Camera",
        key=_CAMERA_ON,
        help="Take a picture to send with your next message; the browser asks for the camera.",
    ):
        return None
    round_ = st.session_state.get(_CAMERA_ROUND, 0)
    return st.camera_input("Take a picture", key=f"rvs.camera.{round_}")

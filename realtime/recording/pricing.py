"""The one price table, and what a response's token usage costs.

Pure; runs on whichever thread asks (the script thread for the metrics page and the live strip).
Tokens come in as :class:`realtime.client.core.values.Usage` (from ``response.done`` ``usage``), a
:class:`Cost` in US dollars comes out, or ``None`` for a model without a price here: an unknown
model (the local engine, a preview, an Azure deployment name) shows tokens without a cost.
Only the hosted APIs (:data:`PRICED_PROVIDERS`) bill at these prices; another server's token
counts (the local engine counts its own units) are shown unpriced whatever model it names.

Cached input tokens are a part of the input tokens, billed at the cached rate instead of (not on
top of) the full rate: text in = (text - cached text) x text rate + cached text x cached rate,
and the same for audio and images. A model whose image rate is not in the table prices no
response that read an image: its cost is unknown, never a figure without the images.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from realtime.client.core.config import Provider
from realtime.client.core.values import Usage

__all__ = [
    "PRICED_PROVIDERS",
    "PRICES",
    "PRICES_AS_OF",
    "Cost",
    "Price",
    "cost_of",
    "model_family",
    "price_for",
]

PER_TOKENS = 1_000_000
PRICED_PROVIDERS = frozenset({Provider.OPENAI, Provider.AZURE})


@dataclass(frozen=True)
class Price:
    """US dollars per million tokens; ``None``: no verified price for that kind."""

    text_in: float
    cached_text_in: float
    text_out: float
    audio_in: float
    cached_audio_in: float
    audio_out: float
    image_in: float | None = None
    cached_image_in: float | None = None


PRICES_AS_OF = "late 2025"
PRICES: dict[str, Price] = {
    # As published by OpenAI in late 2025.
    "gpt-realtime": Price(
        text_in=4.00,
        cached_text_in=0.40,
        text_out=16.00,
        audio_in=32.00,
        cached_audio_in=0.40,
        audio_out=64.00,
    ),
    # The cached rates (0.06 text, 0.30 audio) are those of OpenAI's gpt-realtime-mini model
    # page.
    "gpt-realtime-mini": Price(
        text_in=0.60,
        cached_text_in=0.06,
        text_out=2.40,
        audio_in=10.00,
        cached_audio_in=0.30,
        audio_out=20.00,
    ),
}

_SNAPSHOT = re.compile(r"-\d{4}-\d{2}-\d{2}$")


def model_family(model: str) -> str:
    """``gpt-realtime-2025-08-28`` -> ``gpt-realtime``: dated snapshots share their price."""
    return _SNAPSHOT.sub("", model.strip().lower())


def price_for(model: str | None) -> Price | None:
    if not model:
        return None
    return PRICES.get(model_family(model))


@dataclass(frozen=True)
class Cost:
    """US dollars per kind of token; ``total`` is what the response cost."""

    text_in: float = 0.0
    cached_text_in: float = 0.0
    audio_in: float = 0.0
    cached_audio_in: float = 0.0
    image_in: float = 0.0
    cached_image_in: float = 0.0
    text_out: float = 0.0
    audio_out: float = 0.0

    @property
    def total(self) -> float:
        return (
            self.text_in
            + self.cached_text_in
            + self.audio_in
            + self.cached_audio_in
            + self.image_in
            + self.cached_image_in
            + self.text_out
            + self.audio_out
        )


def cost_of(usage: Usage, model: str | None) -> Cost | None:
    """What ``usage`` costs on ``model``; ``None`` when the model has no price here."""
    price = price_for(model)
    if price is None:
        return None
    # A cached count above its total would be a server bug; never bill negative tokens.
    cached_text = min(usage.cached_text_tokens, usage.input_text_tokens)
    cached_audio = min(usage.cached_audio_tokens, usage.input_audio_tokens)
    cached_image = min(usage.cached_image_tokens, usage.input_image_tokens)
    image_in, cached_image_in = price.image_in, price.cached_image_in
    if usage.input_image_tokens and (image_in is None or cached_image_in is None):
        return None  # images were read at a rate we do not know
    return Cost(
        text_in=(usage.input_text_tokens - cached_text) * price.text_in / PER_TOKENS,
        cached_text_in=cached_text * price.cached_text_in / PER_TOKENS,
        audio_in=(usage.input_audio_tokens - cached_audio) * price.audio_in / PER_TOKENS,
        cached_audio_in=cached_audio * price.cached_audio_in / PER_TOKENS,
        image_in=(usage.input_image_tokens - cached_image) * (image_in or 0.0) / PER_TOKENS,
        cached_image_in=cached_image * (cached_image_in or 0.0) / PER_TOKENS,
        text_out=usage.output_text_tokens * price.text_out / PER_TOKENS,
        audio_out=usage.output_audio_tokens * price.audio_out / PER_TOKENS,
    )

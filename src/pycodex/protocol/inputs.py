"""What a user submits: text, image URLs and local images."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field

from pycodex.protocol.base import WireModel


class TextInput(WireModel):
    type: Literal["text"] = "text"
    text: str


class ImageInput(WireModel):
    """An image already encoded as a data URL (or any URL the model can fetch)."""

    type: Literal["image"] = "image"
    image_url: str


class LocalImageInput(WireModel):
    """A local image file; converted to a data URL when sent."""

    type: Literal["local_image"] = "local_image"
    path: Path


InputItem = Annotated[TextInput | ImageInput | LocalImageInput, Field(discriminator="type")]

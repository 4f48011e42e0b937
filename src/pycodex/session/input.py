"""User input items → the user message the model receives."""

from __future__ import annotations

import base64
import mimetypes
import os
import stat
from collections.abc import Sequence
from pathlib import Path

from pycodex.protocol.inputs import ImageInput, LocalImageInput, TextInput
from pycodex.protocol.models import ContentItem, InputImage, InputText, Message
from pycodex.session.image_format import image_problem

MAX_IMAGE_BYTES = 20 * 1024 * 1024
IMAGE_MAGIC = {
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
    b"GIF87a": "image/gif",
    b"GIF89a": "image/gif",
    b"RIFF": "image/webp",
    b"BM": "image/bmp",
}


class ImageError(ValueError):
    """A local image that cannot be attached; the message says why."""


def sniff_image_mime(data: bytes) -> str | None:
    """The image type from the file's first bytes, or None when it is not an image."""
    for magic, mime in IMAGE_MAGIC.items():
        if data.startswith(magic):
            if mime == "image/webp" and data[8:12] != b"WEBP":
                continue
            return mime
    return None


def _read_regular_file(path: Path, limit: int) -> bytes:
    """The bytes of a regular file of at most `limit` bytes; ImageError for anything else."""
    # Opened non-blocking and checked on the descriptor: a FIFO would block the open or the
    # read for ever, a device (/dev/zero) never ends, and a stat-then-open check could be
    # raced by a swapped path.
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ImageError(f"{path} is not a regular file")
        data = f.read(limit + 1)  # bounded: the file may grow after the stat
    size = max(st.st_size, len(data))
    if size > limit:
        raise ImageError(f"image {path} is too large ({size} bytes; limit {limit})")
    return data


def local_image_data_url(path: Path) -> str:
    """Read a local image and encode it as a data URL; raises ImageError with the reason."""
    if not path.exists():
        raise ImageError(f"image not found: {path}")
    if path.is_dir():
        raise ImageError(f"{path} is a directory, not an image")
    data = _read_regular_file(path, MAX_IMAGE_BYTES)
    mime = sniff_image_mime(data) or (mimetypes.guess_type(path.name)[0] or "")
    if not mime.startswith("image/") or sniff_image_mime(data) is None:
        raise ImageError(f"{path} is not a supported image (png, jpeg, gif, webp, bmp)")
    problem = image_problem(data, mime)
    if problem is not None:
        raise ImageError(f"{path} is not a valid image: {problem}")
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def input_items_to_message(items: Sequence[object], cwd: Path) -> Message:
    """One user message; an unreadable local image becomes a text note, not a failure."""
    content: list[ContentItem] = []
    for item in items:
        if isinstance(item, TextInput):
            content.append(InputText(text=item.text))
        elif isinstance(item, ImageInput):
            content.append(InputImage(image_url=item.image_url))
        elif isinstance(item, LocalImageInput):
            path = item.path if item.path.is_absolute() else cwd / item.path
            try:
                content.append(InputImage(image_url=local_image_data_url(path)))
            except (ImageError, OSError) as e:
                content.append(InputText(text=f"[image could not be attached: {e}]"))
    return Message(role="user", content=content)

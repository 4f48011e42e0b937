"""Is this image whole? A structural check of an image file's bytes (pure: no I/O).

The model's API refuses an image it cannot decode, and the refused image stays in the
conversation's history, failing every later request too; so a file that only starts like an
image (truncated, corrupt, or another format behind the magic bytes) is refused before it is
attached. This walks the container's structure; it does not decode pixels.
"""

from __future__ import annotations

import struct
import zlib

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# JPEG markers that start a frame and carry its dimensions (not DHT, JPG, DAC).
_JPEG_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_JPEG_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})  # TEM, RSTn: no length field


def image_problem(data: bytes, mime: str) -> str | None:
    """Why these bytes are not a whole image of this type, or None when they look whole."""
    check = _CHECKS.get(mime)
    return None if check is None else check(data)


def _png(data: bytes) -> str | None:
    pos = len(PNG_SIGNATURE)
    first = True
    while pos + 12 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        end = pos + 12 + length
        if end > len(data):
            return "truncated PNG chunk"
        body = data[pos + 8:end - 4]
        (crc,) = struct.unpack(">I", data[end - 4:end])
        if zlib.crc32(kind + body) != crc:
            return f"corrupt PNG chunk {kind.decode('latin-1')!r}"
        if first:
            if kind != b"IHDR" or length != 13:
                return "PNG without a header chunk"
            width, height = struct.unpack(">II", body[:8])
            if width == 0 or height == 0:
                return "PNG of zero size"
            first = False
        if kind == b"IEND":
            return None
        pos = end
    return "truncated PNG (no end chunk)"


def _jpeg(data: bytes) -> str | None:
    pos = 2
    sized = False
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            return "corrupt JPEG marker"
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in _JPEG_STANDALONE:
            pos += 2
            continue
        (length,) = struct.unpack(">H", data[pos + 2:pos + 4])
        if length < 2 or pos + 2 + length > len(data):
            return "truncated JPEG segment"
        if marker in _JPEG_SOF:
            if length < 7:
                return "corrupt JPEG frame header"
            height, width = struct.unpack(">HH", data[pos + 5:pos + 9])
            if width == 0 or height == 0:
                return "JPEG of zero size"
            sized = True
        if marker == 0xDA:  # start of scan: entropy-coded data follows, then the end marker
            if not sized:
                return "JPEG scan before its frame header"
            return None if data.rfind(b"\xff\xd9", pos) != -1 else "truncated JPEG (no end marker)"
        pos += 2 + length
    return "truncated JPEG"


def _gif(data: bytes) -> str | None:
    if len(data) < 14:
        return "truncated GIF"
    width, height = struct.unpack("<HH", data[6:10])
    if width == 0 or height == 0:
        return "GIF of zero size"
    # No trailer check: decoders accept GIFs without one, and real files lack it.
    return None


def _webp(data: bytes) -> str | None:
    if len(data) < 20:
        return "truncated WebP"
    (size,) = struct.unpack("<I", data[4:8])
    if 8 + size > len(data):
        return "truncated WebP"
    if data[12:16] not in (b"VP8 ", b"VP8L", b"VP8X"):
        return "WebP without image data"
    return None


def _bmp(data: bytes) -> str | None:
    if len(data) < 26:
        return "truncated BMP"
    (offset,) = struct.unpack("<I", data[10:14])
    width, height = struct.unpack("<ii", data[18:26])
    if width == 0 or height == 0:
        return "BMP of zero size"
    return None if offset < len(data) else "truncated BMP (no pixel data)"


_CHECKS = {
    "image/png": _png,
    "image/jpeg": _jpeg,
    "image/gif": _gif,
    "image/webp": _webp,
    "image/bmp": _bmp,
}

"""The SSE decoder: the same events however the bytes are cut, every line ending, and the
fields the format defines."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pycodex.model.http_wire import ChunkedDecoder
from pycodex.model.sse_decode import SseDecoder

STREAM = (
    "\ufeff: a comment first\r\n"
    "event: response.created\r\ndata: {\"a\": 1}\r\n\r\n"
    "data:no space\rdata:  two spaces\r\r"
    "id: 7\nretry: 100\nevent:named\ndata\ndata: last é\u2028x\n\n"
    "event: dropped\n\n"  # no data: nothing is dispatched
    "data: unterminated"  # no blank line before the end: dropped, as the format says
).encode()

EXPECTED = [
    ("response.created", '{"a": 1}'),
    ("", "no space\n two spaces"),
    ("named", "\nlast é\u2028x"),
]


def feed_all(chunks: list[bytes]) -> list[tuple[str, str]]:
    decoder = SseDecoder()
    out = [ev for chunk in chunks for ev in decoder.feed(chunk)]
    return out + decoder.close()


def test_whole_stream() -> None:
    assert feed_all([STREAM]) == EXPECTED


@given(st.lists(st.integers(min_value=0, max_value=len(STREAM)), max_size=12))
def test_any_cut_gives_the_same_events(cuts: list[int]) -> None:
    """The stream cut anywhere (inside a CRLF, a UTF-8 character or the BOM) reads the same."""
    points = sorted(set(cuts))
    chunks = [STREAM[a:b] for a, b in zip([0, *points], [*points, len(STREAM)], strict=True)]
    assert feed_all(chunks) == EXPECTED


@given(st.binary(max_size=300), st.integers(min_value=1, max_value=9))
def test_chunked_body_round_trips(body: bytes, size: int) -> None:
    coded = b"".join(f"{len(body[i:i + size]):x}\r\n".encode() + body[i:i + size] + b"\r\n"
                     for i in range(0, len(body), size)) + b"0\r\ntrailer: x\r\n\r\n"
    decoder = ChunkedDecoder()
    out = b"".join(piece for i in range(0, len(coded), 5) for piece in decoder.feed(coded[i:i + 5]))
    assert out == body and decoder.done

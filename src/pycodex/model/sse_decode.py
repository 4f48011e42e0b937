"""Server-Sent Events from text as it arrives (the WHATWG event-stream format), pure.

Built for the model's streams, where an answer is thousands of small events: each feed splits
the text it completes in C and returns the events as `(event, data)` tuples, one allocation
per event; fields other than `event` and `data` (`id`, `retry`, comments) are read and dropped.
"""

from __future__ import annotations

import codecs

SseEvent = tuple[str, str]  # (event name, "" when none was given; data)


class SseDecoder:
    """Bytes in, complete events out; a partial line or event waits for the next feed."""

    def __init__(self) -> None:
        self._text = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._pending = ""  # the start of a line not yet ended
        self._event = ""
        self._data: list[str] = []
        self._started = False  # a leading byte-order mark is dropped once

    def feed(self, chunk: bytes) -> list[SseEvent]:
        """The events `chunk` completes, in order."""
        text = self._text.decode(chunk)
        if not self._started and text:
            self._started = True
            if text[0] == "\ufeff":
                text = text[1:]
        text = self._pending + text if self._pending else text
        if "\r" in text:
            # A lone CR ends a line too; one at the very end may be the first half of a CRLF.
            keep_cr = text.endswith("\r")
            text = text.replace("\r\n", "\n").replace("\r", "\n")
            if keep_cr:
                text = text[:-1]
        else:
            keep_cr = False
        lines = text.split("\n")
        self._pending = lines.pop() + ("\r" if keep_cr else "")
        out: list[SseEvent] = []
        data = self._data
        for line in lines:
            if not line:
                if data:
                    out.append((self._event, data[0] if len(data) == 1 else "\n".join(data)))
                    data = self._data = []
                self._event = ""
                continue
            if line.startswith("data:"):
                data.append(line[6:] if line.startswith("data: ") else line[5:])
            elif line.startswith("event:"):
                self._event = line[7:] if line.startswith("event: ") else line[6:]
            elif line == "data":
                data.append("")
            # id, retry, comments (":...") and unknown fields: nothing the model stream uses.
        return out

    def close(self) -> list[SseEvent]:
        """At the end of the stream: an event without its closing blank line is dropped, as
        the format says; returns nothing (kept for symmetry with `feed`)."""
        self._text.decode(b"", final=True)
        self._pending = ""
        self._data = []
        return []

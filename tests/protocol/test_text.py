"""Lone surrogates in JSON from outside (pure functions)."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from pycodex.protocol.text import encode_utf8, loads_untrusted, may_hold_surrogates, scrub


def test_a_lone_surrogate_escape_becomes_the_replacement_character() -> None:
    # Bad input: `\ud800` with no partner, in a value and in a key, upper and lower case.
    value = loads_untrusted('{"a\\uD800": ["x\\ud800y", {"k": "\\udfff"}], "n": 1}')
    assert value == {"a\ufffd": ["x\ufffdy", {"k": "\ufffd"}], "n": 1}
    assert json.dumps(value, ensure_ascii=False).encode("utf-8")  # writable now


def test_a_surrogate_pair_is_one_character_and_stays() -> None:
    assert loads_untrusted('"\\ud83d\\ude00"') == "\U0001f600"


def test_bytes_are_read_as_well() -> None:
    assert loads_untrusted(b'["\\ud800"]') == ["\ufffd"]


def test_encode_falls_back_only_when_it_must() -> None:
    assert encode_utf8("caf\u00e9") == "caf\u00e9".encode()
    assert encode_utf8("a\udc80b") == "a\ufffdb".encode()


@given(st.text())
def test_scrubbed_text_always_encodes_and_clean_text_is_unchanged(text: str) -> None:
    out = scrub(text)
    out.encode("utf-8")
    if not any(0xD800 <= ord(c) <= 0xDFFF for c in text):
        assert out == text


@given(st.text())
def test_json_of_any_text_reads_back_writable(text: str) -> None:
    encoded = json.dumps(text)  # ensure_ascii: surrogates spelled as escapes
    assert may_hold_surrogates(encoded) or not any(0xD800 <= ord(c) <= 0xDFFF for c in text)
    loads_untrusted(encoded).encode("utf-8")

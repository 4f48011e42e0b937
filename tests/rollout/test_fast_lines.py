"""Rollout lines read in one step (fast_lines) give exactly what the general path gives, and
anything it cannot take falls back to that path."""

from __future__ import annotations

import gc
import json
from pathlib import Path

import pytest

from pycodex.rollout.fast_lines import decode_line, line_kind
from pycodex.rollout.reader import load_rollout, parse_line

CORPUS = sorted((Path(__file__).parent / "corpus").glob("*/*.rollout.jsonl"))


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_corpus_line_reads_as_the_general_path_reads_it(path: Path) -> None:
    """Real rollouts (Codex 0.169's and pycodex's own): each line the fast path takes is
    the same item the general path builds; the lines it leaves are the general path's."""
    taken = 0
    for raw in path.read_bytes().splitlines(keepends=True):
        fast = decode_line(raw)
        slow = parse_line(json.loads(raw))
        if fast is not None:
            taken += 1
            assert slow is not None and (fast.type, fast.payload) == (slow.type, slow.payload)
    assert taken > 0


def test_lines_it_cannot_take_fall_back() -> None:
    """Bad input tried: payload keys first (another writer's order), a payload that does not
    validate, an unknown line type, a line that is not JSON, and bytes that are not UTF-8."""
    item = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}
    reordered = json.dumps({"payload": item, "type": "response_item", "timestamp": "t"}).encode()
    assert line_kind(reordered) is None and decode_line(reordered) is None
    assert parse_line(json.loads(reordered)) is not None  # the general path still reads it
    bad = json.dumps({"timestamp": "t", "type": "response_item", "payload": {"type": "message"}}).encode()
    assert decode_line(bad) is None
    assert decode_line(b'{"timestamp": "t", "type": "future_kind", "payload": {}}') is None
    assert decode_line(b'{"timestamp": "t", "type": "response_item", "payload": ') is None
    assert decode_line(b'{"timestamp": "t", "type": "response_item", "payload": "\xff"}') is None


def test_load_keeps_counts_and_the_collector_state(tmp_path: Path) -> None:
    """Bad input tried: a garbled line between good ones, and a torn last line."""
    good = json.dumps({"timestamp": "t", "type": "response_item", "payload": {
        "type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}})
    path = tmp_path / "r.jsonl"
    path.write_text(f"{good}\nnot json\n{good}\n{good[:20]}")
    loaded = load_rollout(path)
    assert (len(loaded.items), loaded.skipped, loaded.torn_tail) == (2, 2, True)
    assert gc.isenabled()
    gc.disable()
    try:
        load_rollout(path)
        assert not gc.isenabled()  # a caller's own choice is left alone
    finally:
        gc.enable()

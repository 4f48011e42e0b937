"""Line endings: a file with mixed CRLF/LF lines keeps every ending the patch does not touch."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pycodex.patch.apply import apply_patch_text

B, E = "*** Begin Patch\n", "*** End Patch\n"

ending_st = st.sampled_from(["\n", "\r\n"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    endings=st.lists(ending_st, min_size=2, max_size=14),
    last_unterminated=st.booleans(),
    op=st.sampled_from(["replace", "replace2", "insert", "delete"]),
    data=st.data(),
)
def test_property_mixed_endings_kept(
    tmp_path: Path, endings: list[str], last_unterminated: bool, op: str, data: st.DataObject
) -> None:
    """Every untouched line keeps its bytes; new lines take the ending of the line they replace
    (insertions: the line above's); an unterminated last line gets the first line's ending."""
    n = len(endings)
    texts = [f"line {i}" for i in range(n)]  # unique, so each chunk has one place to go
    ends = list(endings)
    if last_unterminated:
        ends[-1] = ""
    root = Path(tempfile.mkdtemp(dir=tmp_path))
    (root / "f.txt").write_bytes("".join(t + e for t, e in zip(texts, ends, strict=True)).encode())
    i = data.draw(st.integers(0, n - 1))
    style = ends[0] or "\n"
    want = [(t, e or style) for t, e in zip(texts, ends, strict=True)]
    own = want[i][1]
    if op == "replace":
        hunk = f"@@\n-{texts[i]}\n+NEW\n"
        want[i] = ("NEW", own)
    elif op == "replace2":
        hunk = f"@@\n-{texts[i]}\n+NEW1\n+NEW2\n"
        want[i : i + 1] = [("NEW1", own), ("NEW2", own)]
    elif op == "insert":
        hunk = f"@@\n {texts[i]}\n+NEW\n"
        want.insert(i + 1, ("NEW", own))
    else:
        hunk = f"@@\n-{texts[i]}\n"
        del want[i]
    apply_patch_text(B + "*** Update File: f.txt\n" + hunk + E, root)
    assert (root / "f.txt").read_bytes() == "".join(t + e for t, e in want).encode()

"""apply_patch: a 1,000-hunk patch on a 100,000-line file.

pycodex in-process (plan + atomic commit), pycodex's CLI process, and Codex's own patcher
(the npm package's binary invoked as `apply_patch`). Target: pycodex ≤ 1.0× Codex.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from common import BARE, PYCODEX, codex_native, ratio, run_timed, summary

LINES, HUNKS = 100_000, 1_000


def make(root: Path) -> str:
    (root / "big.txt").write_text("".join(f"line {i} of the big file\n" for i in range(LINES)))
    step = LINES // HUNKS
    parts = ["*** Begin Patch\n*** Update File: big.txt\n"]
    for h in range(HUNKS):
        i = h * step + step // 2
        parts.append(f"@@\n line {i - 1} of the big file\n-line {i} of the big file\n+LINE {i} CHANGED\n line {i + 1} of the big file\n")
    parts.append("*** End Patch\n")
    return "".join(parts)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    from pycodex.patch.apply import apply_patch_text

    native = codex_native()
    inproc: list[float] = []
    bare: list[float] = []
    cli: list[float] = []
    cx: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        if native:
            os.symlink(native, root / "apply_patch")
        for i in range(args.runs + 1):
            patch = make(root)
            t = time.perf_counter()
            apply_patch_text(patch, root)
            w_in = time.perf_counter() - t
            make(root)
            w_cli, _ = run_timed([*PYCODEX, "apply-patch"], cwd=root, stdin=patch.encode())
            if native:
                make(root)
                w_cx, _ = run_timed([str(root / "apply_patch")], cwd=root, stdin=patch.encode())
            assert "LINE 50 CHANGED" in (root / "big.txt").read_text()
            w_bare, _ = run_timed(BARE)
            if i:
                bare.append(w_bare)
                inproc.append(w_in)
                cli.append(w_cli)
                if native:
                    cx.append(w_cx)
    print(f"{HUNKS}-hunk patch on a {LINES}-line file")
    print(summary("pycodex in-process (plan + atomic commit)", inproc))
    print(summary("pycodex apply-patch process", cli))
    # The Python floor: the interpreter's own start plus the work done in-process.
    print(summary("Python floor, bare interpreter", bare))
    print(f"Python floor, bare interpreter + in-process work: "
          f"{statistics.median(bare) + statistics.median(inproc):.3f} s")
    if cx:
        print(summary("codex apply_patch process", cx))
        ratio("apply_patch_process_pycodex_vs_codex", statistics.median(cli) / statistics.median(cx))
        ratio("apply_patch_inprocess_pycodex_vs_codex_process", statistics.median(inproc) / statistics.median(cx))
    return 0


if __name__ == "__main__":
    sys.exit(main())

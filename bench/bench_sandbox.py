"""Sandbox cost per command: `true` under bubblewrap (workspace-write) vs unsandboxed."""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ratio

RUNS = 50


def main() -> int:
    from pycodex.exec.sandbox.select import detect_backend, wrap_command
    from pycodex.protocol.policies import WorkspaceWrite

    if detect_backend() is None:
        print("bubblewrap unavailable: nothing to measure")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        argv = wrap_command(["true"], WorkspaceWrite(), Path(tmp))
        plain: list[float] = []
        boxed: list[float] = []
        for _ in range(RUNS):
            t = time.perf_counter()
            subprocess.run(["true"], check=True)
            plain.append(time.perf_counter() - t)
            t = time.perf_counter()
            subprocess.run(argv, check=True)
            boxed.append(time.perf_counter() - t)
    p, b = statistics.median(plain) * 1000, statistics.median(boxed) * 1000
    print(f"unsandboxed `true`: {p:.2f} ms median; under bwrap: {b:.2f} ms median; overhead {b - p:.2f} ms")
    ratio("sandbox_bwrap_vs_plain", b / p)
    return 0


if __name__ == "__main__":
    sys.exit(main())

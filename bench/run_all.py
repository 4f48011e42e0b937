"""Run every benchmark; write bench/results/<date>.md and a chart of the ratios (SVG).

    .venv/bin/python bench/run_all.py [--quick]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHES = [
    ("start-up and 20k-delta stream (exec --json)", "bench_exec_cli.py", ["--runs", "7"], ["--runs", "3"]),
    ("per-tool-call overhead (50 exec_command calls)", "bench_tool_calls.py", ["--runs", "5"], ["--runs", "2"]),
    ("apply_patch: 1,000 hunks on 100,000 lines", "bench_apply_patch.py", ["--runs", "5"], ["--runs", "2"]),
    ("sandbox overhead per command", "bench_sandbox.py", [], []),
    ("session listing and search at 10,000 sessions", "bench_store.py", [], ["--sessions", "2000"]),
    ("resume of a 50,000-item rollout", "bench_resume.py", ["--runs", "3"], ["--runs", "1"]),
    ("app-server: start to first turn, and a 20k-delta turn", "bench_app_server.py", ["--runs", "9"], ["--runs", "2"]),
    ("batch: 100 tasks, --jobs 8, vs shell loops of exec", "bench_batch.py", [], ["--tasks", "20"]),
]
# What "good" means for each ratio (pycodex / other): the target of issue #15, or None when
# the ratio is information (a cost, or how far something is from the Python floor).
TARGETS = {
    "one_answer_wall_pycodex_vs_codex": 1.0, "one_answer_rss_pycodex_vs_codex": 0.4,
    "twenty_k_deltas_wall_pycodex_vs_codex": 1.0, "tool_calls_pycodex_vs_codex": 1.0,
    "apply_patch_process_pycodex_vs_codex": 2.0, "resume_50k_pycodex_vs_codex": 0.8,
    "app_server_first_turn_wall_pycodex_vs_codex": 1.0,
    "app_server_thread_start_to_first_turn_wall_pycodex_vs_codex": 1.0, "app_server_twenty_k_deltas_wall_pycodex_vs_codex": 1.0,
}


def svg_chart(ratios: dict[str, float]) -> str:
    """A horizontal bar chart of the ratios on a log scale, with the 1.0 line and targets."""
    import math

    rows = sorted(ratios.items())
    width, left, bar_h, gap = 900, 360, 18, 8
    height = 40 + len(rows) * (bar_h + gap)
    lo, hi = math.log10(0.05), math.log10(max(20.0, *ratios.values()) * 1.2)

    def x(v: float) -> float:
        return left + (math.log10(max(v, 0.05)) - lo) / (hi - lo) * (width - left - 20)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           '<text x="10" y="18" font-size="14">pycodex ratios (log scale; left of the red line = pycodex smaller/faster)</text>']
    one = x(1.0)
    out.append(f'<line x1="{one:.1f}" y1="26" x2="{one:.1f}" y2="{height - 6}" stroke="red" stroke-width="1.5"/>')
    for i, (name, v) in enumerate(rows):
        y = 32 + i * (bar_h + gap)
        target = TARGETS.get(name)
        ok = target is None or v <= target
        color = "#3a7" if ok else "#d84"
        out.append(f'<text x="10" y="{y + 13}">{name}</text>')
        out.append(f'<rect x="{left}" y="{y}" width="{max(1.0, x(v) - left):.1f}" height="{bar_h}" fill="{color}"/>')
        out.append(f'<text x="{x(v) + 4:.1f}" y="{y + 13}">{v:.2f}x</text>')
        if target is not None:
            tx = x(target)
            out.append(f'<line x1="{tx:.1f}" y1="{y - 2}" x2="{tx:.1f}" y2="{y + bar_h + 2}" stroke="black" stroke-dasharray="3,2"/>')
    out.append("</svg>")
    return "\n".join(out)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="fewer runs (a smoke test of the suite)")
    args = ap.parse_args()
    date = dt.date.today().isoformat()
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    sections: list[str] = []
    ratios: dict[str, float] = {}
    for title, script, full, quick in BENCHES:
        print(f"== {title}", flush=True)
        # Other work on the machine moves these numbers: each section says how busy it was.
        before = " ".join(f"{x:.2f}" for x in os.getloadavg())
        proc = subprocess.run([sys.executable, str(HERE / script), *(quick if args.quick else full)],
                              capture_output=True, text=True, cwd=HERE, check=False)
        text = proc.stdout.strip() or proc.stderr.strip()[-2000:]
        print(text, flush=True)
        for line in text.splitlines():
            if line.startswith("RATIO "):
                _, name, value = line.split()
                ratios[name] = float(value)
        body = "\n".join(line for line in text.splitlines() if not line.startswith("RATIO "))
        after = " ".join(f"{x:.2f}" for x in os.getloadavg())
        sections.append(f"## {title}\n\nLoad average (1, 5, 15 min) before: {before}; after: {after}.\n\n"
                        f"```\n{body}\n```\n")
    chart = results / f"{date}-ratios.svg"
    chart.write_text(svg_chart(ratios))
    table = ["| ratio (pycodex / other) | value | target |", "|---|---|---|"]
    for name, v in sorted(ratios.items()):
        t = TARGETS.get(name)
        table.append(f"| {name} | {v:.2f}x | {'≤ ' + format(t, '.1f') + 'x' if t else '—'} |")
    report = (f"# pycodex benchmarks, {date}\n\nMachine: 2 cores; the real Codex CLI 0.169.0 from npm on the "
              "same scripted loopback server; runs paired and alternating, medians with [min–max].\n\n"
              f"![ratios]({chart.name})\n\n" + "\n".join(table) + "\n\n" + "\n".join(sections))
    out = results / f"{date}.md"
    out.write_text(report)
    print(f"wrote {out} and {chart}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`--help` works for every command the CLI lists, found by walking the help output."""

from __future__ import annotations

import re
import subprocess
import sys

PYCODEX = [sys.executable, "-m", "pycodex.cli.main"]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*PYCODEX, *args], capture_output=True, text=True, timeout=60, check=False)


def _listed_commands(help_text: str) -> list[str]:
    """The names under click's `Commands:` heading."""
    names: list[str] = []
    in_section = False
    for line in help_text.splitlines():
        if line.strip() == "Commands:":
            in_section = True
        elif in_section and line.startswith("  ") and line.strip():
            names.append(line.split()[0])
        elif in_section and line.strip():
            in_section = False
    return names


def _documented_forms(name: str, help_text: str) -> list[str]:
    """Sub-forms a command documents in its help, such as `exec resume ...`."""
    unwrapped = " ".join(help_text.split())
    return sorted(set(re.findall(rf"`{re.escape(name)} ([a-z][a-z-]*)\b", unwrapped)))


def test_help_of_every_listed_command_exits_zero_without_traceback() -> None:
    top = _run("--help")
    assert top.returncode == 0, top.stderr
    assert "Traceback" not in top.stdout + top.stderr
    pending = [[n] for n in _listed_commands(top.stdout)]
    assert pending, top.stdout
    checked: list[str] = []
    while pending:
        path = pending.pop(0)
        proc = _run(*path, "--help")
        label = " ".join(path)
        assert proc.returncode == 0, f"pycodex {label} --help: {proc.stderr}"
        assert "Traceback" not in proc.stdout + proc.stderr, label
        assert proc.stdout.startswith("Usage:"), label
        checked.append(label)
        pending += [[*path, n] for n in _listed_commands(proc.stdout)]
        if len(path) == 1:
            pending += [[*path, f] for f in _documented_forms(path[0], proc.stdout)]
    # The walk reaches nested commands, not only the top level.
    assert {"sessions list", "sandbox linux", "exec resume"} <= set(checked), checked


def test_bare_pycodex_without_a_terminal_says_so_and_help_lists_the_commands() -> None:
    """Bare `pycodex` opens the interactive UI; bad input: no terminal (pipes) → one line, 2."""
    proc = _run()
    assert proc.returncode == 2, proc.stderr
    assert "needs a terminal" in proc.stderr and proc.stderr.count("\n") == 1
    assert "Traceback" not in proc.stderr
    helped = _run("--help")
    assert helped.stdout.startswith("Usage:") and "Commands:" in helped.stdout

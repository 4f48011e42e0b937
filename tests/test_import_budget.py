"""The import budget: what a command may import before it has done its work.

A structural test, not a timing test: each command runs as a real process, and every module
loaded when it exits must be on the declared list below (the standard library is always
allowed; what a bare interpreter loads is not counted). `python -X importtime` shows what each
costs. Adding a module to one of these paths means declaring it here, on purpose.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

_MARK = "\n--modules--\n"
# Prints every module loaded when the process exits (also through sys.exit), after its output.
_AT_EXIT = ("import atexit, runpy, sys\n"
            f"atexit.register(lambda: sys.stderr.write({_MARK!r} + ' '.join(sys.modules)))\n")

# `pycodex exec --help`: the exec command's flags and nothing of the protocol's models or the UI.
EXEC_HELP_PYCODEX = {
    "pycodex", "pycodex.cli", "pycodex.cli.entry", "pycodex.cli.main", "pycodex.cli.root_flags",
    "pycodex.cli.exec_cmd", "pycodex.cli.exec_review", "pycodex.protocol", "pycodex.protocol.modes",
}
EXEC_HELP_THIRD_PARTY = {"click"}
EXEC_HELP_STAND_INS = {"pydantic.plugin._loader"}  # cli.entry's no-plugins loader, not pydantic

# `pycodex apply-patch`: the patch engine alone (Codex's apply_patch is a small native start).
APPLY_PATCH_PYCODEX_PACKAGES = ("pycodex.patch",)
APPLY_PATCH_PYCODEX = {"pycodex", "pycodex.cli", "pycodex.cli.entry", "pycodex.cli.apply_patch_run"}
# Standard modules it has no use for, each a few ms of a ~70 ms run: typing (annotations only),
# secrets (temp names come from os.urandom), difflib (diffs are for events; merges rarely need it).
APPLY_PATCH_STDLIB_NOT = {"typing", "secrets", "difflib"}

# `pycodex exec --json PROMPT` answered once: the session's own packages, pydantic for the
# protocol's types, click for the flags and httpx (with httpx-sse) for the model wire; no UI,
# no app-server, no MCP SDK (no server configured), no bash parser.
ONE_ANSWER_PYCODEX = {
    "pycodex", "pycodex.cli", "pycodex.cli.entry", "pycodex.cli.main", "pycodex.cli.root_flags",
    "pycodex.cli.exec_cmd", "pycodex.cli.exec_review", "pycodex.cli.exec_run",
    "pycodex.cli.output_jsonl", "pycodex.mcp", "pycodex.mcp.errors",
}
ONE_ANSWER_PYCODEX_PACKAGES = (
    "pycodex.config", "pycodex.context", "pycodex.exec", "pycodex.model", "pycodex.protocol",
    "pycodex.rollout", "pycodex.session", "pycodex.state", "pycodex.tasks", "pycodex.tools",
)
ONE_ANSWER_NOT = {  # inside those packages, still not on this path
    "pycodex.model.chat",
    "pycodex.session.conversation", "pycodex.cli.output_human",
    # pydantic's plugin search: importlib.metadata and a scan of every installed package
    # (~30 ms); the CLI puts a loader that finds none in its place.
    "importlib.metadata",
    # The standard library's XML package (xml.sax.saxutils's escape alone costs ~10 ms).
    "xml.sax",
}
ONE_ANSWER_THIRD_PARTY = {
    "click", "pydantic", "pydantic_core", "annotated_types", "typing_extensions", "typing_inspection",
    # the model wire: httpx and what it stands on
    "httpx", "httpx_sse", "httpcore", "h11", "anyio", "sniffio", "idna", "certifi",
}


def imported(args: Iterable[str], *, cwd: Path | None = None, stdin: str | None = None,
             env: dict[str, str] | None = None) -> set[str]:
    """Modules `pycodex ARGS` had imported when it exited (beyond a bare interpreter's)."""
    def run(code: str) -> set[str]:
        proc = subprocess.run([sys.executable, "-c", _AT_EXIT + code], input=stdin, cwd=cwd,
                              capture_output=True, text=True, check=False, timeout=60,
                              env={**os.environ, **(env or {})})
        assert _MARK in proc.stderr, proc.stderr[-2000:]
        return set(proc.stderr.split(_MARK, 1)[1].split())

    argv = ["pycodex", *args]
    return run(f"sys.argv = {argv!r}; runpy.run_module('pycodex.cli.entry', run_name='__main__')") \
        - run("pass")


def outside(mods: set[str], pycodex: set[str], third_party: set[str],
            pycodex_packages: tuple[str, ...] = ()) -> list[str]:
    """The modules not on the lists (stdlib modules are always allowed)."""
    bad = []
    for name in mods:
        top = name.split(".")[0]
        if top == "pycodex":
            if name not in pycodex and not name.startswith(tuple(p + "." for p in pycodex_packages)) \
                    and name not in pycodex_packages:
                bad.append(name)
        elif top not in sys.stdlib_module_names and top not in third_party \
                and not top.startswith("_sysconfigdata"):  # sysconfig's per-platform data
            bad.append(name)
    return sorted(bad)


def test_exec_help_imports_only_the_exec_command() -> None:
    mods = imported(["exec", "--help"])
    assert "pycodex.cli.exec_cmd" in mods  # the help really came from the exec command
    assert outside(mods - EXEC_HELP_STAND_INS, EXEC_HELP_PYCODEX, EXEC_HELP_THIRD_PARTY) == []


def test_apply_patch_imports_only_the_patch_engine(tmp_path: Path) -> None:
    patch = "*** Begin Patch\n*** Add File: a.txt\n+x\n*** End Patch\n"
    mods = imported(["apply-patch"], cwd=tmp_path, stdin=patch)
    assert (tmp_path / "a.txt").read_text() == "x\n"
    assert "pycodex.patch.apply" in mods
    assert outside(mods, APPLY_PATCH_PYCODEX, set(), APPLY_PATCH_PYCODEX_PACKAGES) == []
    assert sorted(mods & APPLY_PATCH_STDLIB_NOT) == []


def test_one_answer_imports_only_what_it_uses(tmp_path: Path) -> None:
    from pycodex.testing import scenario as sc
    from pycodex.testing.server import ScriptedModelServer
    from tests.e2e.helpers import write_config

    home = tmp_path / "home"
    with ScriptedModelServer([sc.turn(sc.message("hello"), sc.completed())]) as srv:
        write_config(home, srv.base_url)
        mods = imported(["exec", "--json", "--skip-git-repo-check", "-C", str(tmp_path), "say hi"],
                        env={"PYCODEX_HOME": str(home), "MOCK_API_KEY": "k"})
        assert len(srv.requests) == 1  # the run really asked the model
    assert outside(mods, ONE_ANSWER_PYCODEX, ONE_ANSWER_THIRD_PARTY, ONE_ANSWER_PYCODEX_PACKAGES) == []
    assert sorted(mods & ONE_ANSWER_NOT) == []

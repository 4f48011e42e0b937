"""The layer rules of docs/ARCHITECTURE.md, checked on every module's imports.

Every `import` counts: at module level, inside functions (pycodex imports heavy modules on
first use) and under `if TYPE_CHECKING:` (a type-only import is still a dependency on that
layer's design). A module's layer is the longest entry of LAYERS that prefixes its name.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"

# Layer → the other layers its modules may import (its own layer is always allowed).
# Importing the root package `pycodex` (for `__version__`) is allowed everywhere: it defines
# nothing else eagerly. Nothing lists `cli` or `testing`: they are surfaces (only the CLI's
# `demo` command runs the scripted server).
LAYERS: dict[str, set[str]] = {
    # Pure: wire types and their mappings; a bash parser.
    "protocol": set(),
    "shell_parse": set(),
    # The only mutable session/turn data: knows the wire types, and the turn diff tracker
    # (context) that the seed puts in TurnState.
    "state": {"protocol", "context"},
    # Pure engines: no session, tasks, tools, model, rollout, config, network.
    "context": {"protocol"},
    "patch": {"protocol", "shell_parse"},
    "exec.safety": {"protocol", "shell_parse"},
    "exec.sandbox.roots": {"protocol"},
    "exec.policy": {"protocol", "shell_parse", "exec.safety", "exec.sandbox.roots"},
    # Helpers with I/O, below the session.
    "exec": {"protocol", "shell_parse", "exec.safety", "exec.policy", "exec.sandbox.roots"},
    "model": {"protocol"},
    "config": {"protocol", "model", "exec"},
    "rollout": {"protocol", "config", "context"},
    # MCP servers: configured by `config`, their processes tagged for the `exec` watchdog.
    "mcp": {"protocol", "config", "exec"},
    # The agent: tools and tasks reach the session only through `Session`'s methods.
    "tools": {"protocol", "shell_parse", "state", "context", "patch", "exec", "exec.safety",
              "exec.policy", "exec.sandbox.roots", "model", "config", "session", "mcp"},
    "tasks": {"protocol", "state", "context", "patch", "model", "config", "rollout", "tools",
              "session"},
    "session": {"protocol", "shell_parse", "state", "context", "patch", "exec", "exec.safety",
                "exec.policy", "exec.sandbox.roots", "model", "config", "rollout", "mcp", "tools",
                "tasks"},
    # Surfaces: nothing imports them.
    "testing": {"protocol"},
    # Codex's JSON-RPC app-server: drives sessions through the Op/Event API only (no state,
    # no tasks, no turn loop of its own); only the CLI command that starts it imports it.
    # `context` is pure: review items carry the review as review_format renders it.
    "app_server": {"protocol", "patch", "config", "rollout", "session", "context"},
    # `pycodex mcp-server` (the `codex` / `codex-reply` tools over MCP): the same rule as the
    # app-server, conversations through the Op/Event API only; only its CLI command imports it.
    "mcp_server": {"protocol", "config", "rollout", "session"},
    # The interactive UI (textual): drives sessions through the Op/Event API only, like the
    # app-server; only the CLI commands that open it import it.
    "tui": {"protocol", "config", "rollout", "session"},
    # `pycodex batch`: many sessions through the Op/Event API only (no state, no tasks, no
    # turn loop of its own); only the CLI command imports it.
    "batch": {"protocol", "config", "model", "session"},
    "cli": {"protocol", "shell_parse", "state", "context", "patch", "exec", "exec.safety",
            "exec.policy", "exec.sandbox.roots", "model", "config", "rollout", "mcp", "tools",
            "tasks", "session", "testing", "app_server", "mcp_server", "tui", "batch"},
    # The package itself: a lazy façade over the session (`pycodex.Conversation`).
    "": {"session"},
}


def module_name(path: Path) -> str:
    """`src/pycodex/exec/safety.py` → `pycodex.exec.safety` (a package → its own name)."""
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer_of(module: str) -> str:
    """The longest LAYERS entry prefixing `pycodex.<module>`; "" for the root package."""
    rest = module.removeprefix("pycodex").removeprefix(".")
    best = ""
    for layer in LAYERS:
        if layer and (rest == layer or rest.startswith(layer + ".")) and len(layer) > len(best):
            best = layer
    assert best or not rest, f"{module} is in no layer: add its package to LAYERS"
    return best


def _is_module(name: str) -> bool:
    base = SRC.joinpath(*name.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def imports_of(module: str, source: str, is_package: bool = False) -> list[tuple[int, str]]:
    """(line, imported pycodex module) for every import in the source, wherever it is."""
    package = module if is_package else module.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            # `from pycodex.protocol import events` imports the module pycodex.protocol.events.
            names = [f"{base}.{a.name}" if _is_module(f"{base}.{a.name}") else base for a in node.names]
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr == "import_module" and node.args
              and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            names = [node.args[0].value]
        found += [(node.lineno, n) for n in dict.fromkeys(names) if n == "pycodex" or n.startswith("pycodex.")]
    return found


def violations(module: str, source: str, is_package: bool = False) -> list[str]:
    """The imports of `module` that break the LAYERS table."""
    own = layer_of(module)
    out = []
    for line, target in imports_of(module, source, is_package):
        to = layer_of(target)
        if to in ("", own) or to in LAYERS[own]:
            continue
        out.append(f"{module}:{line} imports {target} ({own or 'pycodex'} → {to})")
    return out


def test_no_module_imports_a_layer_it_may_not() -> None:
    """Every module under src/pycodex keeps the table; the checker itself is exercised first
    on the two imports this table was written to forbid (the CLI's JSONL mapper in the
    session, exec's bash parser in the patch engine), at function level and type-only."""
    session_mapper = "def run():\n    from pycodex.cli.jsonl import JsonlMapper\n"
    patch_bash = ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                  "    from pycodex.exec.bash import parse_tree\n")
    assert violations("pycodex.session.conversation", session_mapper) == [
        "pycodex.session.conversation:2 imports pycodex.cli.jsonl (session → cli)"]
    assert violations("pycodex.patch.invocation", patch_bash) == [
        "pycodex.patch.invocation:3 imports pycodex.exec.bash (patch → exec)"]
    assert violations("pycodex.protocol.events", "from .. import model\n") == [
        "pycodex.protocol.events:1 imports pycodex.model (protocol → model)"]

    modules = sorted((SRC / "pycodex").rglob("*.py"))
    assert len(modules) > 50
    broken = []
    for path in modules:
        broken += violations(module_name(path), path.read_text(encoding="utf-8"), path.name == "__init__.py")
    assert not broken, "layer rules broken (docs/ARCHITECTURE.md, Layers):\n" + "\n".join(broken)

"""Spotting apply_patch inside shell calls (`apply_patch <<'EOF' … EOF`, `cd dir && …`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pycodex.shell_parse.bash import parse_tree, shell_script

NAMES = ("apply_patch", "applypatch")


@dataclass(frozen=True)
class ApplyPatchInvocation:
    """The patch text, and the directory it is relative to (from `cd dir &&`)."""

    patch_text: str
    workdir: str | None = None


def detect_apply_patch(argv: list[str]) -> ApplyPatchInvocation | None:
    """A shell call that is really an apply_patch, or None for an ordinary command."""
    if len(argv) == 2 and argv[0] in NAMES:
        return ApplyPatchInvocation(argv[1])
    script = shell_script(argv)
    return detect_apply_patch_in_script(script) if script is not None else None


def _text(node: Any) -> str:
    return str(node.text.decode("utf-8"))


def _word_value(node: Any) -> str | None:
    if node.type == "word":
        return _text(node)
    if node.type == "raw_string":
        return _text(node)[1:-1]
    if node.type == "string" and all(c.type in ('"', "string_content") for c in node.children):
        return _text(node)[1:-1]
    return None


def _heredoc_patch(cmd: Any, redirect: Any) -> str | None:
    name = cmd.child_by_field_name("name")
    if name is None or _text(name) not in NAMES:
        return None
    if any(c.type not in ("command_name",) for c in cmd.named_children):
        return None  # extra arguments
    body = next((c for c in redirect.named_children if c.type == "heredoc_body"), None)
    return _text(body) if body is not None else None


def _cd_target(node: Any) -> str | None:
    if node.type != "command":
        return None
    name = node.child_by_field_name("name")
    args = [c for c in node.named_children if c.type != "command_name"]
    if name is None or _text(name) != "cd" or len(args) != 1:
        return None
    return _word_value(args[0])


def _split_cd(node: Any) -> tuple[str | None, Any] | None:
    """`cd DIR && X` → (DIR, X); anything else that is not a list → (None, node)."""
    if node.type != "list":
        return None, node
    parts = node.children
    if len(parts) != 3 or parts[1].type != "&&":
        return None
    workdir = _cd_target(parts[0])
    return (workdir, parts[2]) if workdir is not None else None


def detect_apply_patch_in_script(script: str) -> ApplyPatchInvocation | None:
    """The script must be exactly one `apply_patch <<EOF` (optionally after `cd DIR &&`)."""
    if not any(n in script for n in NAMES):
        return None
    root = parse_tree(script).root_node
    if root.has_error:
        return None
    stmts = [c for c in root.named_children if c.type != "comment"]
    if len(stmts) != 1:
        return None
    split = _split_cd(stmts[0])
    if split is None:
        return None
    workdir, stmt = split
    if stmt.type != "redirected_statement":
        return None
    redirects = [c for c in stmt.named_children if c.type == "heredoc_redirect"]
    body = stmt.child_by_field_name("body")
    if body is None or len(redirects) != 1:
        return None
    if body.type == "list":  # the redirect binds to `cd DIR && apply_patch` as a whole
        if workdir is not None:
            return None
        inner = _split_cd(body)
        if inner is None or inner[0] is None:
            return None
        workdir, body = inner
    if body.type != "command":
        return None
    patch = _heredoc_patch(body, redirects[0])
    return ApplyPatchInvocation(patch, workdir) if patch is not None else None

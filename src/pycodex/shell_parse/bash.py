"""A real bash parser (tree-sitter-bash) for judging `bash -lc` scripts."""

from __future__ import annotations

from functools import cache
from typing import Any

SHELLS = ("bash", "sh", "zsh", "dash")
WORD_NODES = {"word", "number"}
CHAIN_OPS = {"&&", "||", ";", "|", "\n"}


@cache
def _parser() -> Any:
    import tree_sitter
    import tree_sitter_bash

    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_bash.language()))


def parse_tree(script: str) -> Any:
    """The tree-sitter tree of a script."""
    return _parser().parse(script.encode("utf-8"))


def _word(node: Any) -> str | None:
    text: str = node.text.decode("utf-8")
    if node.type in WORD_NODES:
        return None if any(c in text for c in "$`*?[{~") else text
    if node.type == "raw_string":
        return text[1:-1]
    if node.type == "string":
        # Only plain double-quoted text: no expansions inside.
        if any(c.type not in ('"', "string_content") for c in node.children):
            return None
        return text[1:-1]
    if node.type == "concatenation":
        parts = [_word(c) for c in node.children]
        return None if any(p is None for p in parts) else "".join(p for p in parts if p)
    return None


def _command(node: Any) -> list[str] | None:
    argv: list[str] = []
    for child in node.children:
        if child.type == "command_name":
            inner = child.children[0] if child.children else child
            w = _word(inner)
        elif child.type in ("word", "string", "raw_string", "number", "concatenation"):
            w = _word(child)
        else:
            return None  # redirections, variable assignments, expansions ...
        if w is None:
            return None
        argv.append(w)
    return argv or None


def _collect(node: Any, out: list[list[str]]) -> bool:
    t = node.type
    if t == "program":
        return all(_collect(c, out) for c in node.children if c.type != "comment")
    if t in ("list", "pipeline"):
        for c in node.children:
            if c.type in CHAIN_OPS or not c.is_named:
                if c.type not in CHAIN_OPS:
                    return False
                continue
            if not _collect(c, out):
                return False
        return True
    if t == "command":
        argv = _command(node)
        if argv is None:
            return False
        out.append(argv)
        return True
    return t in CHAIN_OPS


def parse_word_commands(script: str) -> list[list[str]] | None:
    """The commands of a plain `a && b | c; d` script, or None if it is anything more."""
    tree = parse_tree(script)
    if tree.root_node.has_error:
        return None
    out: list[list[str]] = []
    return out if _collect(tree.root_node, out) and out else None


def shell_script(argv: list[str]) -> str | None:
    """The script of `bash -lc SCRIPT` (and sh/zsh, -c), else None."""
    if len(argv) == 3 and argv[0].rsplit("/", 1)[-1] in SHELLS and argv[1] in ("-lc", "-c"):
        return argv[2]
    return None

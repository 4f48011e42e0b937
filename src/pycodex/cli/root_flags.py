"""The root group's flags (Codex's global flags, also taken by `resume` and the UI's prompt).

Declared apart from the UI so that `pycodex exec` never imports the UI's modules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import click

from pycodex.protocol.modes import AskForApproval, SandboxMode

F = TypeVar("F", bound=Callable[..., Any])

def tui_options(f: F) -> F:
    """Codex's global flags, taken before the prompt (and by `resume` too)."""
    decorators = [
        click.option("-c", "--config", "config", multiple=True, metavar="key=value",
                     help="Override a config value (TOML): key=value."),
        click.option("-m", "--model", help="Model to use."),
        click.option("-p", "--profile", help="Config profile to use."),
        click.option("-s", "--sandbox", type=click.Choice([m.value for m in SandboxMode]),
                     help="Sandbox policy."),
        click.option("-a", "--ask-for-approval", "approval",
                     type=click.Choice([a.value for a in AskForApproval]),
                     help="When to ask before running commands."),
        click.option("--full-auto", is_flag=True,
                     help="Sandboxed writes in the workspace, asking only when needed."),
        click.option("--dangerously-bypass-approvals-and-sandbox", "--yolo", "yolo", is_flag=True,
                     help="No sandbox and no approvals. Only in an externally sandboxed environment."),
        click.option("-C", "--cd", type=click.Path(path_type=Path), help="Working directory."),
        click.option("--add-dir", multiple=True, type=click.Path(path_type=Path),
                     help="Another writable root."),
        click.option("-i", "--image", "images", multiple=True, help="Attach image file(s)."),
        click.option("--search", is_flag=True, help='Live web search (web_search = "live").'),
    ]
    for decorate in reversed(decorators):
        f = decorate(f)
    return f


@dataclass
class TuiOptions:
    """The flags, merged from the root and the subcommand (the subcommand's win)."""

    config: list[str] = field(default_factory=list)
    model: str | None = None
    profile: str | None = None
    sandbox: str | None = None
    approval: str | None = None
    full_auto: bool = False
    yolo: bool = False
    cd: Path | None = None
    add_dir: list[Path] = field(default_factory=list)
    images: list[Path] = field(default_factory=list)
    search: bool = False

    def merged(self, **given: Any) -> TuiOptions:
        """These options with a subcommand's given on top."""
        out = TuiOptions(**self.__dict__)
        for key, value in given.items():
            if key in ("config", "add_dir"):
                setattr(out, key, [*getattr(out, key), *value])
            elif key == "images":
                out.images = [*out.images, *(Path(p) for v in value for p in v.split(",") if p)]
            elif value:
                setattr(out, key, value)
        return out


def root_options(params: dict[str, Any]) -> TuiOptions:
    """The root group's flags."""
    return TuiOptions().merged(**params)

"""`pycodex apply-patch`: apply a patch from stdin (or an argument) in the current directory."""

from __future__ import annotations

import sys
from pathlib import Path

import click


@click.command("apply-patch")
@click.argument("patch", required=False)
def apply_patch_command(patch: str | None) -> None:
    """Apply an apply_patch-format patch; nothing changes unless all of it applies."""
    from pycodex.patch.apply import PatchApplyError, apply_patch_text
    from pycodex.patch.parser import PatchParseError

    text = patch if patch is not None else sys.stdin.read()
    try:
        summary = apply_patch_text(text, Path.cwd())
    except (PatchParseError, PatchApplyError) as e:
        click.echo(str(e), err=True)
        sys.exit(1)
    click.echo(summary, nl=False)

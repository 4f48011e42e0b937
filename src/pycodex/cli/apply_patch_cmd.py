"""`pycodex apply-patch`: apply a patch from stdin (or an argument) in the current directory."""

from __future__ import annotations

import sys

import click


@click.command("apply-patch")
@click.argument("patch", required=False)
def apply_patch_command(patch: str | None) -> None:
    """Apply an apply_patch-format patch; nothing changes unless all of it applies."""
    from pycodex.cli.apply_patch_run import run_apply_patch

    sys.exit(run_apply_patch(patch))

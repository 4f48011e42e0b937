"""Applying a patch from the command line, without click: only the patch engine is imported."""

from __future__ import annotations

import sys
from pathlib import Path


def run_apply_patch(patch: str | None) -> int:
    """Apply `patch` (stdin when None) in the current directory; returns the exit code."""
    from pycodex.patch.apply import PatchApplyError, apply_patch_text
    from pycodex.patch.parser import PatchParseError

    if patch is None:
        try:
            patch = sys.stdin.read()
        except UnicodeDecodeError as e:
            print(f"Error: the patch on stdin is not {e.encoding} text (byte {e.start})", file=sys.stderr)
            return 1
    try:
        summary = apply_patch_text(patch, Path.cwd())
    except (PatchParseError, PatchApplyError) as e:
        print(e, file=sys.stderr)
        return 1
    sys.stdout.write(summary)
    return 0

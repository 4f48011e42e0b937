"""The `pycodex` console script: commands that need no CLI framework start here, the rest go
to the click group (`pycodex.cli.main`).

`pycodex apply-patch [PATCH]` imports only the patch engine (as Codex's `apply_patch` is a
small native start); anything else about it (`--help`, extra arguments) is parsed by click.
"""

from __future__ import annotations

import sys


def fast_path(argv: list[str]) -> int | None:
    """The exit code of a command run without click, or None when click must parse `argv`."""
    if argv[:1] == ["apply-patch"]:
        rest = argv[1:]
        if not rest or (len(rest) == 1 and not rest[0].startswith("-")):
            from pycodex.cli.apply_patch_run import run_apply_patch

            return run_apply_patch(rest[0] if rest else None)
    return None


def main() -> None:
    """Console-script entry point."""
    code = fast_path(sys.argv[1:])
    if code is not None:
        sys.exit(code)
    from pycodex.cli.main import main as click_main

    click_main()


if __name__ == "__main__":
    main()

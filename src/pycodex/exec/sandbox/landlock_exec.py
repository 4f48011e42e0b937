"""`python -m pycodex.exec.sandbox.landlock_exec --writable DIR… [--network] -- CMD…`."""

from __future__ import annotations

import argparse
import os
import sys

from pycodex.exec.sandbox.landlock import LandlockError, restrict_self


def main(argv: list[str] | None = None) -> int:
    """Restrict this process with Landlock, then exec the command."""
    args = sys.argv[1:] if argv is None else argv
    if "--" not in args:
        print("usage: landlock_exec --writable DIR ... [--network] -- CMD ...", file=sys.stderr)
        return 2
    split = args.index("--")
    ap = argparse.ArgumentParser(prog="landlock_exec")
    ap.add_argument("--writable", action="append", default=[])
    ap.add_argument("--network", action="store_true")
    ap.add_argument("--chdir")
    opts = ap.parse_args(args[:split])
    command = args[split + 1 :]
    if not command:
        print("landlock_exec: no command", file=sys.stderr)
        return 2
    try:
        restrict_self(opts.writable, opts.network)
    except LandlockError as e:
        print(f"pycodex sandbox (landlock): {e}", file=sys.stderr)
        return 126
    if opts.chdir:
        os.chdir(opts.chdir)
    os.execvp(command[0], command)


if __name__ == "__main__":
    sys.exit(main())

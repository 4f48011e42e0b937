"""`landlock_exec --writable DIR… [--network] [--chdir DIR] -- CMD…`: restrict, then exec.

Started through `pycodex.exec.pyspawn` (isolated Python): its working directory is a writable
root, and a module planted there must not be imported before any restriction applies.
"""

from __future__ import annotations

import argparse
import os
import sys

from pycodex.exec.sandbox.landlock import LandlockError, restrict_self
from pycodex.exec.sandbox.privileges import PrivilegeError, drop_all_capabilities
from pycodex.exec.sandbox.seccomp import SeccompError, install_network_filter


def main(argv: list[str] | None = None) -> int:
    """Restrict this process (Landlock, seccomp, no capabilities), then exec the command."""
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
        if not opts.network:
            install_network_filter()
        drop_all_capabilities()
    except (LandlockError, SeccompError, PrivilegeError) as e:
        print(f"pycodex sandbox (landlock): {e}; the command was not run", file=sys.stderr)
        return 126
    if opts.chdir:
        os.chdir(opts.chdir)
    try:
        os.execvp(command[0], command)
    except OSError as e:
        print(f"pycodex sandbox (landlock): cannot run {command[0]}: {e.strerror}", file=sys.stderr)
        return 127


if __name__ == "__main__":
    sys.exit(main())

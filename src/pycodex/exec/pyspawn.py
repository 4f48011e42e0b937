"""Starting pycodex's own helper programs (the watchdog, the Landlock launcher) safely.

They run outside any sandbox, often in a working directory a command can write. `python -m`
would put that directory first on `sys.path`, so a planted `pycodex/…` package would run in
their place: they are started isolated (`-I`: no working directory, no PYTHON* variables, no
user site) with only the directory this pycodex was loaded from added to the path.
"""

from __future__ import annotations

import sys
from pathlib import Path

# The directory holding the `pycodex` package that is running now.
_SOURCE_ROOT = str(Path(__file__).resolve().parents[2])
_BOOT = (
    "import runpy, sys; sys.path.insert(0, sys.argv.pop(1)); "
    "runpy.run_module(sys.argv.pop(1), run_name='__main__', alter_sys=True)"
)


def isolated_python_argv(module: str, *args: str) -> list[str]:
    """argv that runs `module` as `__main__` in an isolated interpreter, with `args`."""
    return [sys.executable, "-I", "-c", _BOOT, _SOURCE_ROOT, module, *args]

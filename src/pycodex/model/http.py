"""Importing httpx without its command-line extras.

httpx's `__init__` imports its optional CLI (`httpx._main`), which pulls in rich and pygments
(~40 ms, a tenth of pycodex's start-up) only to define `httpx.main`. httpx supports that module
being absent, so when pycodex is first to import httpx we mark it absent; an application that
imported httpx earlier keeps its own.
"""

from __future__ import annotations

import sys
import types
from typing import Any


def import_httpx() -> Any:
    """The httpx module, imported without its CLI if nobody imported it yet."""
    if "httpx" not in sys.modules and "httpx._main" not in sys.modules:
        sys.modules["httpx._main"] = types.ModuleType("httpx._main")  # no `main`: ImportError path
        try:
            import httpx
        finally:
            del sys.modules["httpx._main"]  # `python -m httpx` stays possible later
        return httpx
    import httpx

    return httpx

"""Where pycodex keeps its files (`$PYCODEX_HOME`), and checking it can be used."""

from __future__ import annotations

import os
from pathlib import Path

from pycodex.config.errors import ConfigError

_HINT = "set PYCODEX_HOME to use another directory"


def pycodex_home(env: dict[str, str] | None = None) -> Path:
    """`$PYCODEX_HOME`, else `~/.pycodex`."""
    source = os.environ if env is None else env
    raw = source.get("PYCODEX_HOME")
    return Path(raw).expanduser() if raw else Path.home() / ".pycodex"


def check_home_readable(home: Path) -> None:
    """Raise ConfigError if `home`, or the nearest of its ancestors that exists, is not a directory."""
    for d in (home, *home.parents):
        if d.exists():
            if d.is_dir():
                return
            if d == home:
                raise ConfigError(f"pycodex home {home} is not a directory ({_HINT})")
            raise ConfigError(
                f"pycodex home {home} cannot be created: {d} is not a directory ({_HINT})"
            )


def ensure_home(home: Path) -> Path:
    """Create `home` if needed; ConfigError if it is not a writable directory."""
    check_home_readable(home)
    try:
        home.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ConfigError(
            f"cannot create pycodex home {home}: {e.strerror or e} ({_HINT})"
        ) from e
    if not os.access(home, os.W_OK | os.X_OK):
        raise ConfigError(f"pycodex home {home} is not writable ({_HINT})")
    return home

"""The user's shell: what commands run through."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class UserShell:
    """A shell binary and its short name (bash, zsh, sh)."""

    path: str
    name: str

    def argv(self, script: str, login: bool = True) -> list[str]:
        """The argv that runs a script through this shell."""
        return [self.path, "-lc" if login else "-c", script]


def default_user_shell(env: dict[str, str] | None = None) -> UserShell:
    """Bash when available (what models are trained on), else the user's $SHELL, else sh."""
    source = os.environ if env is None else env
    for candidate in ("/bin/bash", shutil.which("bash"), source.get("SHELL"), "/bin/sh"):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return UserShell(path=candidate, name=Path(candidate).name)
    return UserShell(path="/bin/sh", name="sh")


def shell_for(path: str | None, default: UserShell) -> UserShell:
    """The shell a tool call asked for, or the default."""
    if not path:
        return default
    return UserShell(path=path, name=Path(path).name)

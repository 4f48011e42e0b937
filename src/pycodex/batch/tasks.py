"""TASKS.jsonl → task specs, every bad line named by its number (pure: no I/O)."""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from pycodex.protocol.text import loads_untrusted

KEYS = frozenset({"id", "prompt", "workspace", "model", "config", "images"})
# An id becomes a directory name under --out: no separators, no hidden or special names.
_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}")
_URL = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|[\w.-]+@[\w.-]+:)", re.IGNORECASE)
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class TaskSpec:
    """One line of TASKS.jsonl, checked."""

    id: str
    prompt: str
    workspace: str  # a local path (as written) or a git URL
    line: int
    model: str | None = None
    overrides: tuple[str, ...] = ()  # the line's "config", as `-c key=value` strings
    images: tuple[str, ...] = ()
    digest: str = ""  # a hash of the line's content: a changed task is run again

    @property
    def is_url(self) -> bool:
        """Whether the workspace is a git URL (cloned, not copied)."""
        return is_git_url(self.workspace)


@dataclass
class ParsedTasks:
    """The tasks of a file, or what is wrong with it."""

    tasks: list[TaskSpec] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line, problem), in line order


def is_git_url(workspace: str) -> bool:
    """`https://…`, `ssh://…`, `file://…`, `git@host:path`: cloned rather than copied."""
    return bool(_URL.match(workspace))


def parse_tasks(text: str) -> ParsedTasks:
    """Every task of the file; blank lines are skipped, each problem names its line."""
    out = ParsedTasks()
    seen: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            task = _parse_line(raw, number)
        except ValueError as e:
            out.errors.append((number, str(e)))
            continue
        if task.id in seen:
            out.errors.append((number, f"duplicate id {task.id!r} (first on line {seen[task.id]})"))
            continue
        seen[task.id] = number
        out.tasks.append(task)
    if not out.tasks and not out.errors:
        out.errors.append((0, "no tasks (the file is empty)"))
    return out


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _parse_line(raw: str, number: int) -> TaskSpec:
    try:
        obj = loads_untrusted(raw, parse_constant=_reject_constant)
    except json.JSONDecodeError as e:
        raise ValueError(f"not JSON ({e.msg} at column {e.colno})") from None
    if not isinstance(obj, dict):
        raise ValueError(f"a task is a JSON object, not {type(obj).__name__}")
    unknown = sorted(set(obj) - KEYS)
    if unknown:
        raise ValueError(f"unknown key {unknown[0]!r} (known: {', '.join(sorted(KEYS))})")
    task_id = _text(obj, "id")
    if not _ID.fullmatch(task_id) or task_id in (".", ".."):
        raise ValueError(
            f"id {task_id!r} must be 1-128 letters, digits, '.', '_' or '-', not starting with '.' or '-'"
        )
    prompt = _text(obj, "prompt")
    if not prompt.strip():
        raise ValueError('"prompt" is empty')
    workspace = _text(obj, "workspace")
    model = obj.get("model")
    if model is not None and (not isinstance(model, str) or not model):
        raise ValueError('"model" must be a non-empty string')
    config = obj.get("config", {})
    if not isinstance(config, dict):
        raise ValueError('"config" must be an object of config keys (like -c)')
    images = obj.get("images", [])
    if not isinstance(images, list) or not all(isinstance(i, str) and i for i in images):
        raise ValueError('"images" must be a list of file paths')
    return TaskSpec(
        id=task_id,
        prompt=prompt,
        workspace=workspace,
        line=number,
        model=model,
        overrides=tuple(config_overrides(config)),
        images=tuple(images),
        digest=hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()[:16],
    )


def _text(obj: dict[str, Any], key: str) -> str:
    value = obj.get(key)
    if value is None:
        raise ValueError(f'missing "{key}"')
    if not isinstance(value, str) or not value:
        raise ValueError(f'"{key}" must be a non-empty string')
    return value


def config_overrides(config: dict[str, Any], prefix: tuple[str, ...] = ()) -> list[str]:
    """A task's `config` object as `-c key=value` strings (nested objects become dotted keys)."""
    out: list[str] = []
    for key, value in config.items():
        path = (*prefix, key)
        if isinstance(value, dict) and value:
            out.extend(config_overrides(value, path))
        else:
            out.append(f"{_dotted(path)}={toml_value(value, _dotted(path))}")
    return out


def _dotted(path: tuple[str, ...]) -> str:
    parts = []
    for part in path:
        if _BARE_KEY.fullmatch(part):
            parts.append(part)
        elif '"' not in part:
            parts.append(f'"{part}"')
        elif "'" not in part:
            parts.append(f"'{part}'")
        else:
            raise ValueError(f"config key {part!r} has both kinds of quote")
    return ".".join(parts)


def toml_value(value: Any, where: str) -> str:
    """A JSON value as a TOML value (what `-c key=value` takes)."""
    if value is None:
        raise ValueError(f"config {where}: null has no TOML form; leave the key out")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"config {where}: {value} is not a JSON number")
        return repr(value)
    if isinstance(value, str):
        # JSON's escapes are TOML's, once astral characters stay literal and DEL is escaped.
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v, where) for v in value) + "]"
    if isinstance(value, dict):
        inner = ", ".join(f"{_dotted((k,))} = {toml_value(v, where)}" for k, v in value.items())
        return "{" + inner + "}"
    raise ValueError(f"config {where}: {type(value).__name__} has no TOML form")


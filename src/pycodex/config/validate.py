"""Config layers → one validated `SettingsToml`; every problem named with its key and source.

Pure: takes tables already read, returns the effective settings and the warnings, or raises
`ConfigError` whose message holds one line per problem.
"""

from __future__ import annotations

import copy
import types
from collections.abc import Iterable
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from pycodex.config.errors import ConfigError
from pycodex.config.overrides import apply_overrides
from pycodex.config.render import dotted_key, error_detail
from pycodex.config.schema import ConfigToml, SettingsToml

# Codex keys pycodex accepts and ignores on purpose, so a config shared with Codex does not
# warn. `*` stands for any name (a provider id, a server name, a feature flag). Keys in a
# profile match the same entries.
IGNORED_CODEX_KEYS: tuple[str, ...] = (
    # Interactive UI, login and telemetry: pycodex has none of them (yet).
    "tui", "file_opener", "notice", "otel", "analytics", "feedback",
    "check_for_update_on_startup", "disable_paste_burst", "windows_wsl_setup_acknowledged",
    "forced_login_method", "forced_chatgpt_workspace_id", "cli_auth_credentials_store",
    "mcp_oauth_credentials_store", "chatgpt_base_url", "preferred_auth_method",
    # Per-project trust records that Codex's onboarding writes.
    "projects",
    # Model metadata overrides and review settings pycodex derives itself.
    "review_model", "model_supports_reasoning_summaries", "model_reasoning_summary_format",
    # Feature flags: pycodex acts on the few `FeaturesToml` names.
    "features.*",
    # Provider and MCP server options pycodex does not use.
    "model_providers.*.supports_websockets",
    "model_providers.*.capabilities.cyber_access_programs",
    "model_providers.*.capabilities.remote_compaction",
    # Per-tool approval modes and OAuth settings of MCP servers: pycodex asks by annotations.
    "mcp_servers.*.tools", "mcp_servers.*.default_tools_approval_mode", "mcp_servers.*.scopes",
    "mcp_servers.*.oauth_resource",
)

_PROFILE_PREFIX = ("profiles", "*")

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Override:
    """One `-c key=value`, as given and as parsed."""

    raw: str
    path: tuple[str, ...]
    value: Any


@dataclass
class Resolved:
    """The effective settings (file < profile < `-c`), the profile used and the warnings."""

    settings: SettingsToml
    profile: str | None
    warnings: list[str] = field(default_factory=list)


def resolve(
    file_table: dict[str, Any],
    file_label: str,
    overrides: list[Override],
    profile: str | None = None,
) -> Resolved:
    """Validate the file and `-c` overrides as one config, then apply the chosen profile."""
    table = copy.deepcopy(file_table)
    # Applied before the profile is read, so `-c profiles.x.model=...` changes that profile.
    _apply(table, overrides)
    sources = _Sources(file_label, overrides)
    errors: list[str] = []
    whole: ConfigToml | None = None
    try:
        whole = ConfigToml.model_validate(table, strict=True)
    except ValidationError as e:
        errors += [_line(err["loc"], sources, error_detail(err)) for err in e.errors()]
    unknown = list(unknown_keys(table))
    warnings = [_warning(unknown, sources)] if unknown else []

    name = profile or (whole.profile if whole is not None else None)
    profiles = table.get("profiles")
    if name and (not isinstance(profiles, dict) or name not in profiles):
        errors.append(f"config error: profile {name!r} not found in {file_label}")
    if errors:
        raise ConfigError("\n".join(errors))

    effective = {k: v for k, v in table.items() if k not in ("profile", "profiles")}
    if name:
        effective.update(copy.deepcopy(table["profiles"][name]))  # a profile replaces whole keys
    _apply(effective, [o for o in overrides if o.path[0] not in ("profile", "profiles")])
    try:
        settings = SettingsToml.model_validate(effective, strict=True)
    except ValidationError as e:  # every part was checked above; kept as a clear error anyway
        where = _Sources(f"profile {name!r} of {file_label}", overrides)
        raise ConfigError(
            "\n".join(_line(err["loc"], where, error_detail(err)) for err in e.errors())
        ) from e
    return Resolved(settings=settings, profile=name, warnings=warnings)


def unknown_keys(table: dict[str, Any]) -> Iterable[Loc]:
    """Keys of a config table that pycodex neither reads nor ignores on purpose."""
    for loc, pattern in _walk_model(table, ConfigToml, (), ()):
        if not _ignored(pattern):
            yield loc


def _apply(table: dict[str, Any], overrides: list[Override]) -> None:
    apply_overrides(table, [(list(o.path), o.value) for o in overrides])


class _Sources:
    """Where the value at a key came from: a `-c` override that covers it, else the file."""

    def __init__(self, file_label: str, overrides: list[Override]) -> None:
        self.file_label = file_label
        self.overrides = overrides

    def of(self, loc: Loc) -> str:
        keys = tuple(str(p) for p in loc)
        for o in reversed(self.overrides):  # the last override of a key wins, as when applied
            if keys[: len(o.path)] == o.path:
                return f"-c {o.raw}"
        for o in reversed(self.overrides):  # a table the override created
            if o.path[: len(keys)] == keys:
                return f"-c {o.raw}"
        return self.file_label


def _line(loc: Loc, sources: _Sources, detail: str) -> str:
    return f"config error: {dotted_key(loc)} in {sources.of(loc)}: {detail}"


def _warning(unknown: list[Loc], sources: _Sources) -> str:
    by_source: dict[str, list[str]] = {}
    for loc in unknown:
        by_source.setdefault(sources.of(loc), []).append(dotted_key(loc))
    parts = [f"{', '.join(keys)} in {src}" for src, keys in by_source.items()]
    return f"config warning: ignoring unknown keys: {'; '.join(parts)}"


def _ignored(pattern: tuple[str, ...]) -> bool:
    candidates = [pattern]
    if pattern[:2] == _PROFILE_PREFIX and len(pattern) > 2:
        candidates.append(pattern[2:])
    return any(
        fnmatchcase(".".join(c), entry) for c in candidates for entry in IGNORED_CODEX_KEYS
    )


def _walk_model(
    table: dict[str, Any], model: type[BaseModel], loc: Loc, pattern: tuple[str, ...]
) -> Iterable[tuple[Loc, tuple[str, ...]]]:
    fields = {(f.alias or name): f for name, f in model.model_fields.items()}
    for key, value in table.items():
        info = fields.get(key)
        if info is None:
            yield (*loc, key), (*pattern, key)
        else:
            yield from _walk_value(value, info.annotation, (*loc, key), (*pattern, key))


def _walk_value(
    value: Any, annotation: Any, loc: Loc, pattern: tuple[str, ...]
) -> Iterable[tuple[Loc, tuple[str, ...]]]:
    kind = _unwrap(annotation)
    if not isinstance(value, dict):
        return
    if isinstance(kind, type) and issubclass(kind, BaseModel):
        yield from _walk_model(value, kind, loc, pattern)
    elif get_origin(kind) is dict:
        inner = get_args(kind)[1]
        for key, item in value.items():
            yield from _walk_value(item, inner, (*loc, key), (*pattern, "*"))


def _unwrap(annotation: Any) -> Any:
    # `X | None` → X, `Annotated[X, ...]` → X.
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            args = [a for a in get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation
            annotation = args[0]
        else:
            return annotation

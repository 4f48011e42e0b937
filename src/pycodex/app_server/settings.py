"""v2 parameters → pycodex's policies, inputs and `-c` overrides, and back (pure)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from pycodex.app_server import wire as w
from pycodex.app_server.jsonrpc import INVALID_PARAMS, RpcError
from pycodex.app_server.params import SandboxPolicyParam, TurnStartParams
from pycodex.protocol.inputs import ImageInput, InputItem, LocalImageInput, TextInput
from pycodex.protocol.policies import (
    AskForApproval,
    DangerFullAccess,
    ReadOnly,
    ReasoningEffort,
    ReasoningSummary,
    SandboxPolicy,
    WorkspaceWrite,
)
from pycodex.session.turn_settings import TurnSettings


def invalid(field: str, problem: str) -> RpcError:
    """A -32602 naming the field."""
    return RpcError(INVALID_PARAMS, f"invalid params: {field}: {problem}")


def sandbox_from_param(p: SandboxPolicyParam) -> SandboxPolicy:
    """A turn's `sandboxPolicy` as pycodex's policy."""
    if p.type == "dangerFullAccess":
        return DangerFullAccess()
    if p.type == "readOnly":
        return ReadOnly()
    if p.type == "workspaceWrite":
        if not isinstance(p.network_access, bool):
            raise invalid("sandboxPolicy.networkAccess", "must be a boolean")
        roots = [Path(r) for r in p.writable_roots]
        for r in roots:
            if not r.is_absolute():
                raise invalid("sandboxPolicy.writableRoots", f"{r} is not an absolute path")
        return WorkspaceWrite(writable_roots=roots, network_access=p.network_access,
                              exclude_tmpdir_env_var=p.exclude_tmpdir_env_var,
                              exclude_slash_tmp=p.exclude_slash_tmp)
    raise invalid("sandboxPolicy.type", "externalSandbox is not supported by pycodex")


def sandbox_wire(policy: SandboxPolicy) -> dict[str, Any]:
    """pycodex's policy in the v2 shape."""
    if isinstance(policy, DangerFullAccess):
        return {"type": "dangerFullAccess"}
    if isinstance(policy, ReadOnly):
        return {"type": "readOnly", "networkAccess": False}
    return {
        "type": "workspaceWrite",
        "writableRoots": [str(r) for r in policy.writable_roots],
        "networkAccess": policy.network_access,
        "excludeTmpdirEnvVar": policy.exclude_tmpdir_env_var,
        "excludeSlashTmp": policy.exclude_slash_tmp,
    }


def apply_turn_overrides(s: TurnSettings, p: TurnStartParams) -> TurnSettings:
    """The settings after a turn/start's overrides."""
    cwd = s.cwd
    if p.cwd is not None:
        cwd = Path(p.cwd)
        if not cwd.is_absolute():
            raise invalid("cwd", f"{p.cwd} is not an absolute path")
        if not cwd.is_dir():
            raise invalid("cwd", f"{p.cwd} is not a directory")
    return replace(
        s,
        cwd=cwd,
        model=p.model or s.model,
        approval_policy=AskForApproval(p.approval_policy) if p.approval_policy else s.approval_policy,
        sandbox_policy=sandbox_from_param(p.sandbox_policy) if p.sandbox_policy else s.sandbox_policy,
        effort=ReasoningEffort(p.effort) if p.effort else s.effort,
        summary=ReasoningSummary(p.summary) if p.summary else s.summary,
    )


def input_items(inputs: list[w.UserInput], cwd: Path) -> list[InputItem]:
    """Wire inputs as pycodex inputs; a kind pycodex cannot take is a -32602."""
    out: list[InputItem] = []
    for i, item in enumerate(inputs):
        if isinstance(item, w.TextUserInput):
            out.append(TextInput(text=item.text))
        elif isinstance(item, w.ImageUserInput):
            out.append(ImageInput(image_url=item.url))
        elif isinstance(item, w.LocalImageUserInput):
            path = Path(item.path)
            out.append(LocalImageInput(path=path if path.is_absolute() else cwd / path))
        elif isinstance(item, w.MentionUserInput):
            out.append(TextInput(text=f"@{item.path}"))  # a mention names a file for the model
        else:
            raise invalid(f"input.{i}.type", f"{item.type} input is not supported by pycodex")
    if not out:
        raise invalid("input", "at least one input item is required")
    return out


def config_overrides(config: dict[str, Any] | None, prefix: str = "") -> list[str]:
    """A `config` object as `-c key=value` overrides (nested tables become dotted keys)."""
    out: list[str] = []
    for key, value in (config or {}).items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            out += config_overrides(value, name + ".")
        else:
            out.append(f"{name}={_toml_value(value)}")
    return out


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return json.dumps(value)  # a JSON number or string is also a TOML one
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{}"
    raise invalid("config", f"unsupported value {value!r}")

"""The tools pycodex serves, `codex` and `codex-reply`: schemas and argument checks (pure).

Names, argument names and shapes are the ones Codex 0.153's `mcp-server` served, so clients
written for it work unchanged; the descriptions are pycodex's own.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pycodex.protocol.policies import AskForApproval, SandboxMode

CODEX = "codex"
CODEX_REPLY = "codex-reply"
TOOL_NAMES = (CODEX, CODEX_REPLY)

APPROVAL_POLICIES = tuple(p.value for p in AskForApproval)
SANDBOX_MODES = tuple(m.value for m in SandboxMode)

# Both tools answer `{threadId, content}`: the thread to continue, and the final message.
OUTPUT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"threadId": {"type": "string"}, "content": {"type": "string"}},
    "required": ["threadId", "content"],
}


def _text(description: str) -> dict[str, Any]:
    return {"type": "string", "description": description}


def _choice(description: str, values: tuple[str, ...]) -> dict[str, Any]:
    return {"type": "string", "enum": list(values), "description": description}


CODEX_INPUT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "prompt": _text("The first user message of the new conversation."),
        "model": _text("The model to use instead of the configured one."),
        "profile": _text("A profile of config.toml whose settings apply to this conversation."),
        "cwd": _text("The working directory; a relative path is taken from the server's own."),
        "approval-policy": _choice(
            "When the user is asked before a command runs: `untrusted`, `on-failure`, "
            "`on-request` or `never`.", APPROVAL_POLICIES),
        "sandbox": _choice(
            "What commands may touch: `read-only`, `workspace-write` or `danger-full-access`.",
            SANDBOX_MODES),
        "config": {
            "type": "object",
            "additionalProperties": True,
            "description": "Settings that override config.toml, by dotted key "
                           "(e.g. {\"sandbox_workspace_write.network_access\": true}).",
        },
        "base-instructions": _text("Instructions that replace pycodex's built-in ones."),
        "developer-instructions": _text("Extra instructions, sent as a developer message."),
        "compact-prompt": _text("The prompt used when the conversation is compacted."),
    },
    "required": ["prompt"],
}

REPLY_INPUT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "threadId": _text("The thread to continue, as returned by `codex` (required; "
                          "`conversationId` is accepted in its place for older clients)."),
        "conversationId": _text("Deprecated name of `threadId`."),
        "prompt": _text("The next user message."),
    },
    "required": ["prompt"],
}


@dataclass(frozen=True)
class ToolDef:
    """One tool as `tools/list` shows it."""

    name: str
    title: str
    description: str
    input_schema: dict[str, Any]
    output_schema: dict[str, Any] = field(default_factory=lambda: OUTPUT_SCHEMA)


TOOLS = (
    ToolDef(CODEX, "Codex", "Start a pycodex conversation: it works on the prompt (running commands "
            "and editing files as its policies allow) and returns its final message and the thread "
            "id to continue it with `codex-reply`.", CODEX_INPUT_SCHEMA),
    ToolDef(CODEX_REPLY, "Codex Reply", "Continue a pycodex conversation with another prompt; "
            "returns the final message of that turn.", REPLY_INPUT_SCHEMA),
)


class ToolInputError(Exception):
    """Arguments a tool cannot take; the message names the argument and the problem (the caller
    names the tool)."""


@dataclass(frozen=True)
class CodexArgs:
    """The `codex` tool's arguments, checked."""

    prompt: str
    model: str | None = None
    profile: str | None = None
    cwd: str | None = None
    approval_policy: AskForApproval | None = None
    sandbox: SandboxMode | None = None
    config: dict[str, Any] = field(default_factory=dict)
    base_instructions: str | None = None
    developer_instructions: str | None = None
    compact_prompt: str | None = None
    ignored: tuple[str, ...] = ()  # argument names this server does not know


@dataclass(frozen=True)
class ReplyArgs:
    """The `codex-reply` tool's arguments, checked."""

    thread_id: str
    prompt: str
    ignored: tuple[str, ...] = ()


def parse_codex_args(arguments: Mapping[str, Any] | None) -> CodexArgs:
    """Check `codex` arguments; a problem is a ToolInputError naming the argument."""
    args = dict(arguments or {})
    prompt = _prompt(args)
    approval = _enum(args, "approval-policy", APPROVAL_POLICIES)
    sandbox = _enum(args, "sandbox", SANDBOX_MODES)
    config = args.get("config")
    if config is not None and not isinstance(config, dict):
        raise ToolInputError(f"`config` must be an object of settings, not {_kind(config)}")
    return CodexArgs(
        prompt=prompt,
        model=_opt_str(args, "model"),
        profile=_opt_str(args, "profile"),
        cwd=_opt_str(args, "cwd"),
        approval_policy=AskForApproval(approval) if approval else None,
        sandbox=SandboxMode(sandbox) if sandbox else None,
        config=config or {},
        base_instructions=_opt_str(args, "base-instructions"),
        developer_instructions=_opt_str(args, "developer-instructions"),
        compact_prompt=_opt_str(args, "compact-prompt"),
        ignored=_unknown(args, CODEX_INPUT_SCHEMA),
    )


def parse_reply_args(arguments: Mapping[str, Any] | None) -> ReplyArgs:
    """Check `codex-reply` arguments (`threadId`, or the older `conversationId`)."""
    args = dict(arguments or {})
    thread_id = _opt_str(args, "threadId") or _opt_str(args, "conversationId")
    if not thread_id or not thread_id.strip():
        raise ToolInputError("`threadId` is required: the id `codex` returned")
    return ReplyArgs(thread_id=thread_id.strip(), prompt=_prompt(args),
                     ignored=_unknown(args, REPLY_INPUT_SCHEMA))


def config_overrides(config: Mapping[str, Any], prefix: str = "") -> list[str]:
    """A `config` object as `-c key=value` overrides; nested objects become dotted keys."""
    out: list[str] = []
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            out += config_overrides(value, name + ".")
        else:
            out.append(f"{name}={_toml(name, value)}")
    return out


def _toml(name: str, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        raise ToolInputError(f"config.{name}: {value!r} is not a TOML value")
    if isinstance(value, int | float | str):
        return json.dumps(value)  # a JSON number or string is also a TOML one
    if isinstance(value, list):
        return "[" + ", ".join(_toml(name, v) for v in value) + "]"
    if isinstance(value, dict):
        return "{}"
    raise ToolInputError(f"config.{name}: {_kind(value)} is not a setting value")


def _prompt(args: dict[str, Any]) -> str:
    if "prompt" not in args:
        raise ToolInputError("`prompt` is required")
    prompt = args["prompt"]
    if not isinstance(prompt, str):
        raise ToolInputError(f"`prompt` must be a string, not {_kind(prompt)}")
    if not prompt.strip():
        raise ToolInputError("`prompt` is empty")
    return prompt


def _opt_str(args: dict[str, Any], name: str) -> str | None:
    value = args.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ToolInputError(f"`{name}` must be a string, not {_kind(value)}")
    return value


def _enum(args: dict[str, Any], name: str, allowed: tuple[str, ...]) -> str | None:
    value = _opt_str(args, name)
    if value is not None and value not in allowed:
        raise ToolInputError(f"`{name}`: {value!r} is not one of {', '.join(allowed)}")
    return value


def _unknown(args: dict[str, Any], schema: dict[str, Any]) -> tuple[str, ...]:
    return tuple(sorted(k for k in args if k not in schema["properties"]))


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "an array",
            dict: "an object"}.get(type(value), type(value).__name__)

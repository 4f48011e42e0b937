"""Driving pycodex's MCP client in tests: the test server, config tables and scripted calls."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from pycodex.testing import scenario as sc

HERE = Path(__file__).resolve().parent
SERVER = HERE / "servers" / "testing_server.py"
ROOT = HERE.parents[1]
LONG_NAME = "a_tool_whose_name_is_exactly_seventy_characters_long_for_the_limit_x70"


def stdio_table(name: str = "t", *, extra: str = "", command: str | None = None,
                args: list[str] | None = None) -> str:
    """A `[mcp_servers.<name>]` table running the test server over stdio."""
    cmd = command or sys.executable
    argv = args if args is not None else [str(SERVER)]
    return f"[mcp_servers.{name}]\ncommand = {json.dumps(cmd)}\nargs = {json.dumps(argv)}\n{extra}\n"


def everything_bin() -> Path:
    """The npm reference server `@modelcontextprotocol/server-everything`, or skip (fail in CI)."""
    candidates = [os.environ.get("PYCODEX_MCP_EVERYTHING"),
                  ROOT / ".cache" / "npm" / "node_modules" / ".bin" / "mcp-server-everything"]
    for c in candidates:
        if c and Path(c).exists():
            return Path(c)
    if os.environ.get("CI"):
        pytest.fail("@modelcontextprotocol/server-everything is not installed; "
                    "scripts/setup-tests.sh installs it")
    pytest.skip("@modelcontextprotocol/server-everything is not installed (scripts/setup-tests.sh)")


def search(arguments: Any, call_id: str) -> sc.Turn:
    """The model searches the deferred tools."""
    item = {"type": "tool_search_call", "id": f"tsc_{call_id}", "call_id": call_id,
            "status": "completed", "execution": "client", "arguments": arguments}
    return sc.turn({"type": "response.output_item.done", "item": item}, sc.completed())


def call(namespace: str | None, name: str, arguments: Any, call_id: str) -> sc.Turn:
    """A function call, inside a namespace when one is given; `arguments` may be raw text."""
    item: dict[str, Any] = {"type": "function_call", "id": f"fc_{call_id}", "name": name,
                            "arguments": arguments if isinstance(arguments, str) else json.dumps(arguments),
                            "call_id": call_id}
    if namespace:
        item["namespace"] = namespace
    return sc.turn({"type": "response.output_item.done", "item": item}, sc.completed())


def done(text: str = "done") -> sc.Turn:
    """The model's last answer."""
    return sc.turn(sc.message(text), sc.completed())


def outputs(body: dict[str, Any]) -> dict[str, Any]:
    """function_call_output `output`s by call id, in a request's input."""
    return {i["call_id"]: i["output"] for i in body["input"] if i["type"] == "function_call_output"}


def developer_texts(body: dict[str, Any]) -> list[str]:
    """Every text of the developer messages of a request."""
    return [c["text"] for i in body["input"] if i.get("role") == "developer" for c in i["content"]]


def masked(output: Any) -> Any:
    """An output with its wall time masked (it differs from run to run)."""
    import re

    text = json.dumps(output)
    return json.loads(re.sub(r"Wall time: [0-9.]+ seconds", "Wall time: T seconds", text))

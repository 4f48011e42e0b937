"""What the model is sent: the real Codex 0.169 and pycodex on the same scenario, request by request.

Both answer one prompt against the scripted server; the first request body of each is compared:
top-level keys in order, the request defaults per model family (and under `-c` overrides), the
tool names, the order of the input messages, the environment context and the permissions
message for each sandbox mode.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from pycodex.testing import scenario as sc
from pycodex.testing.server import ScriptedModelServer
from tests.e2e.helpers import run_exec, write_config
from tests.interop.codex_bin import codex_binary, codex_config

# Codex offers tool_search for its deferred multi_agent_v1 namespace; pycodex defers nothing
# (and so offers no tool_search) until MCP servers' tools are deferred.
NOT_IN_PYCODEX = {"tool_search"}
DEFAULT_FIELDS = ("reasoning", "text", "tool_choice", "parallel_tool_calls", "store", "include")
YOLO = ("--dangerously-bypass-approvals-and-sandbox",)


def _turns() -> list[sc.Turn]:
    return [sc.turn(sc.message("ok"), sc.completed())]


def codex_request(root: Path, model: str, *args: str, plan_tool: bool = False) -> dict[str, Any]:
    """The first request body the real Codex sends for `hi`."""
    ws = root / "codex" / "ws"
    ws.mkdir(parents=True)
    (root / "codex" / "home").mkdir()
    with ScriptedModelServer(_turns()) as srv:
        cfg = codex_config(srv.base_url)
        if not plan_tool:  # codex_config turns update_plan on; here it keeps Codex's default
            i = cfg.index("tools.update_plan.enabled=true")
            del cfg[i - 1 : i + 1]
        argv = [str(codex_binary()), "exec", "--json", "--skip-git-repo-check", "--model", model,
                "-C", str(ws), *cfg, *args, "hi"]
        env = {**os.environ, "CODEX_HOME": str(root / "codex" / "home"), "MOCK_API_KEY": "k"}
        proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120, check=False,
                              stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    return _normalised(srv.requests[0].body, ws)


def pycodex_request(root: Path, model: str, *args: str, extra: str = "") -> dict[str, Any]:
    """The first request body pycodex sends for `hi`."""
    ws = root / "pycodex" / "ws"
    ws.mkdir(parents=True)
    with ScriptedModelServer(_turns()) as srv:
        write_config(root / "pycodex" / "home", srv.base_url, model=model, extra=extra)
        run = run_exec(root / "pycodex" / "home", ws, *args, "hi")
    assert run.code == 0, run.stderr
    return _normalised(srv.requests[0].body, ws)


def _normalised(body: dict[str, Any], ws: Path) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(json.dumps(body).replace(str(ws.resolve()), "WS").replace(str(ws), "WS"))
    return out


def tool_names(body: dict[str, Any]) -> list[str]:
    """Names of the offered tools in order (hosted tools by their type)."""
    return [n for t in body.get("tools", []) if (n := t.get("name") or t["type"]) not in NOT_IN_PYCODEX]


def texts(body: dict[str, Any], role: str) -> list[str]:
    """Every input_text of the input messages with this role."""
    return [c["text"] for i in body["input"] if i.get("type") == "message" and i["role"] == role
            for c in i["content"] if c.get("type") == "input_text"]


@pytest.mark.parametrize(("model", "args"), [
    ("gpt-5.5", ()),
    ("mock-model", ()),  # a slug Codex does not know: its fallback defaults
    ("gpt-5.5", ("-c", 'model_reasoning_effort="high"', "-c", 'model_verbosity="medium"')),
    ("mock-model", ("-c", 'model_reasoning_effort="high"', "-c", 'model_verbosity="medium"')),
    ("gpt-5.5", ("-c", 'model_reasoning_summary="detailed"')),
])
def test_same_top_level_fields_and_defaults_as_codex(tmp_path: Path, model: str, args: tuple[str, ...]) -> None:
    theirs = codex_request(tmp_path, model, *YOLO, *args)
    ours = pycodex_request(tmp_path, model, *YOLO, *args)
    assert list(ours) == list(theirs)
    assert {k: ours.get(k) for k in DEFAULT_FIELDS} == {k: theirs.get(k) for k in DEFAULT_FIELDS}
    assert ours["model"] == theirs["model"] and ours["stream"] is theirs["stream"] is True
    # Base instructions, the developer context, the environment context, the prompt.
    roles = [i["role"] for i in ours["input"]]
    assert roles == [i["role"] for i in theirs["input"]] == ["developer", "developer", "user", "user"]


def test_same_tool_names_as_codex_for_gpt_5_5(tmp_path: Path) -> None:
    # Only gpt-5.5 is compared: for slugs outside its catalog Codex drops apply_patch and adds
    # multi_agent_v1, while pycodex keeps the classic shell surface it has for unknown models.
    for plan_tool in (False, True):  # update_plan is offered only with tools.update_plan.enabled
        root = tmp_path / str(plan_tool)
        theirs = codex_request(root, "gpt-5.5", *YOLO, plan_tool=plan_tool)
        extra = "[tools.update_plan]\nenabled = true" if plan_tool else ""
        ours = pycodex_request(root, "gpt-5.5", *YOLO, extra=extra)
        assert tool_names(ours) == tool_names(theirs)
        assert ("update_plan" in tool_names(ours)) is plan_tool


def _environment(body: dict[str, Any]) -> str:
    return next(t for t in texts(body, "user") if t.startswith("<environment_context>"))


def _group(pattern: str, text: str) -> str:
    m = re.search(pattern, text)
    assert m, (pattern, text)
    return m.group(1)


def _permission_facts(body: dict[str, Any]) -> dict[str, Any]:
    """The facts of the permissions text (Codex's wording or ours): mode, network, approval, roots."""
    text = next(t for t in texts(body, "developer") if t.startswith("<permissions instructions>"))
    roots = re.search(r"[Ww]ritable roots(?: are|:) (.*)\.", text)
    return {
        "sandbox_mode": _group(r"`sandbox_mode` is `([a-z-]+)`", text),
        "network": _group(r"Network access is (enabled|restricted)", text),
        "approval": _group(r"(?:currently |`approval_policy` is `)([a-z-]+)", text),
        "writable_roots": set(re.findall(r"`([^`]+)`", roots.group(1))) if roots else set(),
    }


def _without_protected_entries(env: str) -> str:
    # The read-only entries inside writable roots name what each sandbox protects, which
    # differs by design (Codex: .git .agents .codex .aws; pycodex: .git .codex .pycodex).
    return re.sub(r'<entry access="read"><path>WS/[^<]+</path></entry>', "", env)


@pytest.mark.parametrize("sandbox", [
    (*YOLO,),
    ("--sandbox", "read-only"),
    ("--sandbox", "workspace-write"),
    ("--sandbox", "workspace-write", "-c", "sandbox_workspace_write.network_access=true"),
])
def test_environment_context_and_permissions_match_codex(tmp_path: Path, sandbox: tuple[str, ...]) -> None:
    # Codex exec always runs with approval `never`; pycodex is told so explicitly.
    theirs = codex_request(tmp_path, "gpt-5.5", *sandbox)
    ours = pycodex_request(tmp_path, "gpt-5.5", *sandbox, "-c", 'approval_policy="never"')
    assert _without_protected_entries(_environment(ours)) == _without_protected_entries(_environment(theirs))
    assert _permission_facts(ours) == _permission_facts(theirs)

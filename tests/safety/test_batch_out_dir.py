"""A batch's output folder inside a writable root (/tmp, or a configured root) is read-only to
its tasks' commands, but for each task's own workspace.

Bad input: a task whose command plants a symlink to a file outside every writable root where
the batch will later write the task's diff (`../changes.diff`), and touches another task's
folder. Before, pycodex (unsandboxed) wrote the agent-chosen diff through the link. Under
Landlock, which cannot keep a path read-only inside a writable root, the command is refused.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pycodex.testing.server import ScriptedModelServer
from tests.batch.helpers import (
    command_then_answer,
    responder,
    results,
    run_batch,
    tag,
    write_config,
    write_tasks,
)

pytestmark = pytest.mark.usefixtures("backend")


def test_a_task_cannot_write_the_batch_folder_through_its_sandbox(tmp_path: Path, backend: str) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    area = tmp_path / "area"  # a writable root of every task, holding the batch's folder
    area.mkdir()
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("a\n")
    out = area / "out"
    cmd = (f"ln -s {victim} ../changes.diff; echo x > ../../t2/planted; "
           "echo made > new.txt; echo step-done")
    scripts = {"t1": command_then_answer(cmd, "done"), "t2": command_then_answer("true", "done")}
    with ScriptedModelServer(responder=responder(scripts)) as srv:
        home = tmp_path / "home"
        write_config(home, srv.base_url)
        tasks = write_tasks(tmp_path / "tasks.jsonl", [
            {"id": "t1", "prompt": f"{tag('t1')} go", "workspace": str(src)},
            {"id": "t2", "prompt": f"{tag('t2')} go", "workspace": str(src)},
        ])
        proc = run_batch(home, tasks, "--out", out, "--full-auto", "--jobs", "1",
                         "-c", f"sandbox_workspace_write.writable_roots={json.dumps([str(area)])}",
                         "-c", "sandbox_workspace_write.exclude_slash_tmp=true",
                         "-c", "sandbox_workspace_write.exclude_tmpdir_env_var=true")
        outputs = [str(i.get("output", "")) for r in srv.requests if isinstance(r.body, dict)
                   for i in r.body.get("input", []) if i.get("type") == "function_call_output"]
    assert victim.read_text() == "precious\n"
    assert not (out / "t2" / "planted").exists()
    assert not (out / "t1" / "changes.diff").is_symlink()
    assert proc.returncode == 0, proc.stderr
    assert [r["status"] for r in results(out)] == ["completed", "completed"]
    t1_output = next(o for o in outputs if "step-done" in o or "sandbox unavailable" in o)
    if backend == "bwrap":  # the command ran: its links failed, its workspace write did not
        assert "Read-only file system" in t1_output
        assert "+made" in (out / "t1" / "changes.diff").read_text()
    else:
        assert "cannot keep" in t1_output and "read-only" in t1_output

"""Review mode end to end: real git repositories, the scripted model server, the library call
and `pycodex exec review`."""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from pycodex.config.config import CliOverrides, Config, load_config
from pycodex.context.prompts import load_prompt
from pycodex.context.review_prompts import UNCOMMITTED_PROMPT
from pycodex.protocol import events as ev
from pycodex.protocol import ops
from pycodex.protocol.inputs import TextInput
from pycodex.protocol.policies import AskForApproval, ReviewDecision, SandboxMode
from pycodex.session.conversation import ConversationManager, ReviewError
from pycodex.testing import scenario as sc
from pycodex.testing.server import ScriptedModelServer
from tests.e2e.helpers import input_texts, run_exec, write_config


def git(ws: Path, *args: str) -> str:
    out = subprocess.run(["git", "-C", str(ws), *args], check=True, capture_output=True, text=True)
    return out.stdout.strip()


def make_repo(ws: Path) -> Path:
    """main: a.py committed; a feature branch with one commit; then uncommitted edits."""
    ws.mkdir(parents=True, exist_ok=True)
    git(ws, "init", "-q", "-b", "main")
    git(ws, "config", "user.email", "dev@example.com")
    git(ws, "config", "user.name", "Dev")
    (ws / "a.py").write_text("def f(n):\n    return n\n")
    git(ws, "add", "a.py")
    git(ws, "commit", "-qm", "Add f")
    git(ws, "checkout", "-qb", "feature")
    (ws / "a.py").write_text("def f(n):\n    return n + 1\n")
    git(ws, "commit", "-qam", "Make f add one")
    (ws / "a.py").write_text("def f(n):\n    return n + 2\n")  # unstaged
    (ws / "new.py").write_text("print('untracked')\n")
    return ws


def review_json(ws: Path, *titles: str, explanation: str = "f now adds two.") -> str:
    findings = [{"title": t, "body": f"Body of {t}.\nSecond line.", "confidence_score": 0.6, "priority": 1,
                 "code_location": {"absolute_file_path": str(ws / "a.py"),
                                   "line_range": {"start": 2, "end": 2}}} for t in titles]
    return json.dumps({"findings": findings, "overall_correctness": "patch is incorrect",
                       "overall_explanation": explanation, "overall_confidence_score": 0.6})


def make_config(ws: Path, base_url: str, *, approval: AskForApproval = AskForApproval.NEVER,
                sandbox: SandboxMode = SandboxMode.DANGER_FULL_ACCESS) -> Config:
    home = ws.parent / f"{ws.name}-home"
    write_config(home, base_url)
    return load_config(
        CliOverrides(cwd=ws, approval_policy=approval, sandbox_mode=sandbox),
        home=home, env={"MOCK_API_KEY": "k", "PATH": "/usr/bin:/bin", "HOME": str(ws.parent)},
    )


def last_user_text(body: dict[str, Any]) -> str:
    users = [c["text"] for i in body["input"] if i.get("type") == "message" and i["role"] == "user"
             for c in i["content"] if "text" in c]
    return users[-1]


# ---- the request: its own history, our instructions, the target named ---------------------------

async def test_uncommitted_review_runs_in_its_own_history(tmp_path: Path) -> None:
    ws = make_repo(tmp_path / "ws")
    turns = [sc.turn(sc.message("the first answer"), sc.completed()),
             sc.turn(sc.message(review_json(ws, "[P1] Do not add two")), sc.completed()),
             sc.turn(sc.message("fixing it"), sc.completed())]
    with ScriptedModelServer(turns) as srv:
        conv = await ConversationManager().new_conversation(make_config(ws, srv.base_url))
        await conv.run("a secret first question")
        result = await conv.review(ev.UncommittedChangesTarget())
        later = await conv.run("fix the finding")
        await conv.shutdown()
    body = srv.requests[1].body
    texts = input_texts(body)
    assert "a secret first question" not in texts and "the first answer" not in texts
    assert last_user_text(body) == UNCOMMITTED_PROMPT
    assert texts[0] == load_prompt("review.md")  # our review instructions, not the base ones
    assert not any("a coding agent" in t for t in texts)
    assert "exec_command" in {t.get("name") for t in body["tools"]}
    # The structured result and Codex's rendering of it.
    assert result.output is not None and result.output.findings[0].title == "[P1] Do not add two"
    assert result.text == (
        f"f now adds two.\n\nReview comment:\n\n- [P1] Do not add two — {ws / 'a.py'}:2-2\n"
        "  Body of [P1] Do not add two.\n  Second line."
    )
    kinds = [e.msg.type for e in result.events]
    assert kinds.index("task_started") < kinds.index("entered_review_mode") < kinds.index("exited_review_mode")
    assert kinds.index("exited_review_mode") < kinds.index("agent_message") < kinds.index("task_complete")
    assert "agent_message_delta" not in kinds
    exited = next(e.msg for e in result.events if isinstance(e.msg, ev.ExitedReviewMode))
    assert exited.review_output == result.output
    entered = next(e.msg for e in result.events if isinstance(e.msg, ev.EnteredReviewMode))
    assert entered.user_facing_hint == "current changes"
    # The conversation kept the review as a summary and the rendered review, not its request.
    later_texts = input_texts(srv.requests[2].body)
    summary = next(t for t in later_texts if t.startswith("<user_action>"))
    assert result.text in summary and result.text in later_texts
    assert UNCOMMITTED_PROMPT not in later_texts and "a secret first question" in later_texts
    assert later.final_message == "fixing it"


async def test_base_branch_review_names_the_merge_base(tmp_path: Path) -> None:
    ws = make_repo(tmp_path / "ws")
    merge_base = git(ws, "merge-base", "HEAD", "main")
    with ScriptedModelServer([sc.turn(sc.message(review_json(ws)), sc.completed())]) as srv:
        conv = await ConversationManager().new_conversation(make_config(ws, srv.base_url))
        result = await conv.review(ev.BaseBranchTarget(branch="main"))
        await conv.shutdown()
    text = last_user_text(srv.requests[0].body)
    assert "'main'" in text and f"`git diff {merge_base}`" in text
    entered = next(e.msg for e in result.events if isinstance(e.msg, ev.EnteredReviewMode))
    assert entered.target == ev.BaseBranchTarget(branch="main")
    assert entered.user_facing_hint == "changes against 'main'"
    assert result.text == "f now adds two."  # no findings: the explanation alone


@pytest.mark.parametrize(("title", "shown"), [(None, "Make f add one"), ("My title", "My title")])
async def test_commit_review_names_the_commit_and_its_title(tmp_path: Path, title: str | None,
                                                             shown: str) -> None:
    ws = make_repo(tmp_path / "ws")
    sha = git(ws, "rev-parse", "HEAD")
    with ScriptedModelServer([sc.turn(sc.message(review_json(ws)), sc.completed())]) as srv:
        conv = await ConversationManager().new_conversation(make_config(ws, srv.base_url))
        result = await conv.review(ev.CommitTarget(sha="HEAD", title=title))
        await conv.shutdown()
    text = last_user_text(srv.requests[0].body)
    assert f'commit {sha} ("{shown}")' in text and f"`git show {sha}`" in text
    entered = next(e.msg for e in result.events if isinstance(e.msg, ev.EnteredReviewMode))
    assert entered.user_facing_hint == f"commit {sha[:7]}: {shown}"


async def test_custom_review_sends_the_instructions(tmp_path: Path) -> None:
    ws = tmp_path / "plain"  # custom instructions need no repository
    ws.mkdir()
    with ScriptedModelServer([sc.turn(sc.message(review_json(ws)), sc.completed())]) as srv:
        conv = await ConversationManager().new_conversation(make_config(ws, srv.base_url))
        result = await conv.review(ev.CustomTarget(instructions="  Check the error handling.\n"))
        await conv.shutdown()
    assert last_user_text(srv.requests[0].body) == "Check the error handling."
    assert result.output is not None


# ---- bad targets: one clear error, no model request ----------------------------------------------

@pytest.mark.parametrize(("target", "repo", "message"), [
    (ev.UncommittedChangesTarget(), False, "cannot review: not a git repository: "),
    (ev.BaseBranchTarget(branch="no-such-branch"), True, "cannot review: unknown branch 'no-such-branch'"),
    (ev.BaseBranchTarget(branch="--output=stolen.txt"), True, "unknown branch '--output=stolen.txt'"),
    (ev.CommitTarget(sha="deadbeef"), True, "cannot review: unknown commit 'deadbeef'"),
    (ev.CustomTarget(instructions="  "), True, "cannot review: the review instructions are empty"),
])
async def test_bad_target_is_refused_without_a_request(tmp_path: Path, target: Any, repo: bool,
                                                       message: str) -> None:
    """Bad input tried: a directory that is no repository, an unknown branch, a branch name that
    looks like an option, an unknown commit, blank instructions."""
    ws = make_repo(tmp_path / "ws") if repo else tmp_path / "plain"
    ws.mkdir(exist_ok=True)
    with ScriptedModelServer([sc.turn(sc.message("still here"), sc.completed())]) as srv:
        conv = await ConversationManager().new_conversation(make_config(ws, srv.base_url))
        with pytest.raises(ReviewError) as err:
            await conv.review(target)
        assert srv.requests == []
        after = await conv.run("are you there?")  # the conversation goes on
        await conv.shutdown()
    assert message in str(err.value) and "\n" not in str(err.value)
    assert after.final_message == "still here"
    assert not (ws / "stolen.txt").exists()


# ---- the reviewer's own commands follow the turn's approval rules ---------------------------------

async def test_reviewer_command_needs_approval_like_any_turn(tmp_path: Path) -> None:
    ws = make_repo(tmp_path / "ws")
    turns = [sc.turn(sc.function_call("exec_command", {"cmd": "touch reviewer-was-here"}, "c1"), sc.completed()),
             sc.turn(sc.message(review_json(ws, "[P2] One")), sc.completed())]
    asked: list[ev.ExecApprovalRequest | ev.ApplyPatchApprovalRequest] = []

    def deny(request: ev.ExecApprovalRequest | ev.ApplyPatchApprovalRequest) -> ReviewDecision:
        asked.append(request)
        return ReviewDecision.DENIED

    with ScriptedModelServer(turns) as srv:
        config = make_config(ws, srv.base_url, approval=AskForApproval.UNTRUSTED,
                             sandbox=SandboxMode.WORKSPACE_WRITE)
        conv = await ConversationManager().new_conversation(config)
        result = await conv.review(ev.UncommittedChangesTarget(), approve=deny)
        await conv.shutdown()
    assert len(asked) == 1 and isinstance(asked[0], ev.ExecApprovalRequest)
    assert "touch reviewer-was-here" in " ".join(asked[0].command)
    assert not (ws / "reviewer-was-here").exists()
    # The reviewer was told, in its own history, and finished its review.
    outputs = [i["output"] for i in srv.requests[1].body["input"] if i.get("type") == "function_call_output"]
    assert outputs == ["exec command rejected by user"]
    assert result.output is not None and result.output.findings[0].title == "[P2] One"


# ---- input while the review runs, and interrupts ---------------------------------------------------

async def test_input_sent_during_a_review_is_answered_after_it(tmp_path: Path) -> None:
    ws = make_repo(tmp_path / "ws")
    turns = [sc.turn(sc.function_call("exec_command", {"cmd": "sleep 1; echo looked"}, "c1"), sc.completed()),
             sc.turn(sc.message(review_json(ws, "[P1] A")), sc.completed()),
             sc.turn(sc.message("answered after the review"), sc.completed())]
    with ScriptedModelServer(turns) as srv:
        conv = await ConversationManager().new_conversation(make_config(ws, srv.base_url))
        review = asyncio.create_task(conv.review(ev.UncommittedChangesTarget()))
        await asyncio.to_thread(srv.wait_for_requests, 1)
        await asyncio.sleep(0.3)  # the reviewer's command is running
        await conv.submit(ops.UserInput(items=[TextInput(text="and please fix it")]))
        result = await asyncio.wait_for(review, 30)
        await conv.shutdown()
    assert len(srv.requests) == 3
    assert "and please fix it" not in input_texts(srv.requests[1].body)  # not given to the reviewer
    after = input_texts(srv.requests[2].body)
    summary = next(i for i, t in enumerate(after) if t.startswith("<user_action>"))
    assert summary < after.index("and please fix it")
    kinds = [e.msg.type for e in result.events]
    assert kinds.index("exited_review_mode") < kinds.index("user_message")
    assert kinds.count("task_complete") == 1 and kinds[-1] == "task_complete"
    assert result.final_message == "answered after the review"
    assert result.text is not None and result.text.startswith("f now adds two.\n\nReview comment:")


async def test_interrupted_review_exits_review_mode_before_turn_aborted(tmp_path: Path) -> None:
    ws = make_repo(tmp_path / "ws")
    turns = [sc.turn(sc.reasoning("**Reading** the diff"), sc.stall()),
             sc.turn(sc.message("next turn"), sc.completed())]
    with ScriptedModelServer(turns) as srv:
        conv = await ConversationManager().new_conversation(make_config(ws, srv.base_url))
        review = asyncio.create_task(conv.review(ev.UncommittedChangesTarget()))
        await asyncio.to_thread(srv.wait_for_requests, 1)
        await asyncio.sleep(0.2)
        await conv.submit(ops.Interrupt())
        result = await asyncio.wait_for(review, 30)
        later = await conv.run("what happened?")
        await conv.shutdown()
    kinds = [e.msg.type for e in result.events]
    assert kinds.index("exited_review_mode") < kinds.index("turn_aborted")
    assert kinds.count("exited_review_mode") == 1 and "task_complete" not in kinds
    assert result.output is None and result.text is None
    summary = [t for t in input_texts(srv.requests[1].body) if t.startswith("<user_action>")]
    assert len(summary) == 1 and "<results>\nNone." in summary[0]
    assert later.final_message == "next turn"


# ---- exec review ------------------------------------------------------------------------------------

def test_exec_review_prints_one_agent_message(tmp_path: Path) -> None:
    ws = make_repo(tmp_path / "ws")
    with ScriptedModelServer([sc.turn(sc.message(review_json(ws, "[P1] A", "[P2] B")), sc.completed())]) as srv:
        write_config(tmp_path / "home", srv.base_url)
        run = run_exec(tmp_path / "home", ws, "review", "--uncommitted")
    assert run.code == 0, run.stderr
    assert [e["type"] for e in run.events()] == ["thread.started", "turn.started", "item.completed",
                                                 "turn.completed"]
    [item] = run.items("agent_message")
    assert item["text"].startswith("f now adds two.\n\nFull review comments:\n\n- [P1] A — ")
    assert last_user_text(srv.requests[0].body) == UNCOMMITTED_PROMPT


@pytest.mark.parametrize("answer", ["Sorry, I could not review this. {not json", ""])
def test_exec_review_shows_a_malformed_answer_as_it_is(tmp_path: Path, answer: str) -> None:
    """Bad input tried: a reviewer answer that is not JSON, and an empty one."""
    ws = make_repo(tmp_path / "ws")
    with ScriptedModelServer([sc.turn(sc.message(answer), sc.completed())]) as srv:
        write_config(tmp_path / "home", srv.base_url)
        run = run_exec(tmp_path / "home", ws, "review", "--uncommitted")
    assert run.code == 0 and "Traceback" not in run.stderr
    [item] = run.items("agent_message")
    assert item["text"] == (answer or "Reviewer failed to output a response.")


def test_exec_review_reads_instructions_from_stdin(tmp_path: Path) -> None:
    ws = make_repo(tmp_path / "ws")
    with ScriptedModelServer([sc.turn(sc.message(review_json(ws)), sc.completed())]) as srv:
        write_config(tmp_path / "home", srv.base_url)
        run = run_exec(tmp_path / "home", ws, "review", "-", stdin="Review only a.py\n")
    assert run.code == 0, run.stderr
    assert last_user_text(srv.requests[0].body) == "Review only a.py"


@pytest.mark.parametrize(("args", "code", "message"), [
    (["review", "--base", "nope"], 1, "Error: cannot review: unknown branch 'nope'"),
    (["review", "--commit", "0000000"], 1, "Error: cannot review: unknown commit '0000000'"),
    (["review"], 1, "Error: nothing to review"),
    (["review", "--uncommitted", "--base", "main"], 2, "--uncommitted and --base cannot be used together"),
    (["review", "--uncommitted", "also this"], 2, "cannot be used with review instructions"),
    (["review", "--title", "T"], 2, "--title needs --commit"),
    (["--uncommitted", "hello"], 2, "options of `exec review`"),
])
def test_exec_review_bad_arguments_are_one_clear_line(tmp_path: Path, args: list[str], code: int,
                                                      message: str) -> None:
    """Bad input tried: an unknown branch, an unknown commit, no target, two targets, a target
    with instructions, --title without --commit, a review flag without `review`."""
    ws = make_repo(tmp_path / "ws")
    with ScriptedModelServer([]) as srv:
        write_config(tmp_path / "home", srv.base_url)
        run = run_exec(tmp_path / "home", ws, *args, stdin="")
    assert run.code == code and message in run.stderr, run.stderr
    assert "Traceback" not in run.stderr and run.stdout == "" and srv.requests == []
    assert not (tmp_path / "home" / "sessions").exists()  # nothing recorded


def test_exec_review_outside_a_repository(tmp_path: Path) -> None:
    """Bad input tried: `--uncommitted` in a directory that is no git repository."""
    ws = tmp_path / "plain"
    ws.mkdir()
    write_config(tmp_path / "home", "http://127.0.0.1:9/v1")
    run = run_exec(tmp_path / "home", ws, "review", "--uncommitted")
    assert run.code == 1 and run.stderr.strip() == f"Error: cannot review: not a git repository: {ws}"


# ---- resume after a review ------------------------------------------------------------------------

def test_resume_after_a_review_sees_its_summary_not_its_steps(tmp_path: Path) -> None:
    ws = make_repo(tmp_path / "ws")
    home = tmp_path / "home"
    turns = [sc.turn(sc.function_call("exec_command", {"cmd": "echo reviewer-step"}, "c1"), sc.completed()),
             sc.turn(sc.message(review_json(ws, "[P1] Keep adding one")), sc.completed()),
             sc.turn(sc.message("I will fix it"), sc.completed())]
    with ScriptedModelServer(turns) as srv:
        write_config(home, srv.base_url)
        first = run_exec(home, ws, "--dangerously-bypass-approvals-and-sandbox", "review", "--uncommitted")
        second = run_exec(home, ws, "resume", "--last", "fix what the review found")
    assert first.code == 0 and second.code == 0, second.stderr
    texts = input_texts(srv.requests[2].body)
    summary = next(t for t in texts if t.startswith("<user_action>"))
    assert "[P1] Keep adding one" in summary and texts[-1] == "fix what the review found"
    assert not any("reviewer-step" in t for t in texts) and UNCOMMITTED_PROMPT not in texts
    [rollout] = sorted((home / "sessions").rglob("rollout-*.jsonl"))
    kinds = [json.loads(line)["payload"].get("type") for line in rollout.read_text().splitlines()]
    assert "entered_review_mode" in kinds and "exited_review_mode" in kinds
    assert kinds.count("function_call") == 0  # the reviewer's own calls stay out of the rollout


# ---- pycodex's own git is not steered by the repository's config ---------------------------------

def test_review_git_runs_no_program_the_repository_names(tmp_path: Path) -> None:
    """Bad input tried: a repository whose config names programs for fsmonitor, hooks, the
    pager, signature verification and external diffs, with a signed-looking commit."""
    ws = make_repo(tmp_path / "ws")
    marker = tmp_path / "ran"
    evil = tmp_path / "evil.sh"
    evil.write_text(f"#!/bin/sh\necho \"$0 $*\" >> {marker}\nexit 1\n")
    evil.chmod(0o755)
    for key, value in [("core.fsmonitor", str(evil)), ("core.hooksPath", str(tmp_path)),
                       ("core.pager", str(evil)), ("log.showSignature", "true"),
                       ("gpg.program", str(evil)), ("diff.external", str(evil))]:
        git(ws, "config", key, value)
    # A commit carrying a signature: `git log` verifies it with gpg.program when showSignature is on.
    tree = git(ws, "rev-parse", "HEAD^{tree}")
    parent = git(ws, "rev-parse", "HEAD")
    raw = (f"tree {tree}\nparent {parent}\nauthor Dev <dev@example.com> 1700000000 +0000\n"
           "committer Dev <dev@example.com> 1700000000 +0000\ngpgsig -----BEGIN PGP SIGNATURE-----\n"
           " \n -----END PGP SIGNATURE-----\n\nSigned subject\n")
    signed = subprocess.run(["git", "-C", str(ws), "hash-object", "-t", "commit", "-w", "--stdin"],
                            input=raw, capture_output=True, text=True, check=True).stdout.strip()
    subprocess.run(["git", "-C", str(ws), "log", "-1", signed], capture_output=True, check=False)
    assert marker.exists()  # the config does run the program for git as users run it
    marker.unlink()
    with ScriptedModelServer([sc.turn(sc.message(review_json(ws)), sc.completed())] * 2) as srv:
        write_config(tmp_path / "home", srv.base_url)
        by_commit = run_exec(tmp_path / "home", ws, "review", "--commit", signed)
        by_base = run_exec(tmp_path / "home", ws, "review", "--base", "main")
    assert by_commit.code == 0 and by_base.code == 0, by_commit.stderr + by_base.stderr
    assert '("Signed subject")' in last_user_text(srv.requests[0].body)
    assert not marker.exists(), marker.read_text()

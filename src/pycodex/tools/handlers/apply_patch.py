"""`apply_patch`: parse, check against policy, apply atomically, report."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from pydantic import BaseModel

from pycodex.protocol.events import PatchApplyBegin, PatchApplyEnd
from pycodex.protocol.models import CustomToolCall
from pycodex.protocol.policies import ReviewDecision
from pycodex.tools.context import (
    RespondToModel,
    ToolInvocation,
    ToolOutput,
    decline_unless_someone_can_answer,
    parse_args,
    run_to_completion,
)


class ApplyPatchArgs(BaseModel):
    input: str


def patch_output(exit_code: int, seconds: float, text: str) -> str:
    """The text the model reads, in Codex's layout for apply_patch."""
    return f"Exit code: {exit_code}\nWall time: {seconds:.0f} seconds\nOutput:\n{text}"


async def apply_patch_for_call(inv: ToolInvocation, patch_text: str, cwd: Path) -> ToolOutput:
    """Apply a patch the model sent (as a tool or inside a shell command)."""
    from pycodex.exec.policy import AskUser, Reject, assess_patch_safety
    from pycodex.patch.apply import PatchApplyError, commit_plan, plan_patch
    from pycodex.patch.parser import PatchParseError, parse_patch

    started = time.monotonic()
    try:
        patch = parse_patch(patch_text)
        plan = await asyncio.to_thread(plan_patch, patch, cwd)
    except (PatchParseError, PatchApplyError) as e:
        raise RespondToModel(f"apply_patch verification failed: {e}") from e
    if not plan.affected_paths():
        raise RespondToModel("apply_patch verification failed: the patch changes no files")
    tc = inv.tc
    check = assess_patch_safety(
        plan.affected_paths(), tc.approval_policy, tc.sandbox_policy, list(tc.writable_roots()), tc.cwd,
        tc.protected_paths,
    )
    changes = await asyncio.to_thread(plan.changes)  # builds the diffs: off the event loop
    if isinstance(check, Reject):
        raise RespondToModel(f"patch rejected: {check.reason}")
    auto_approved = not isinstance(check, AskUser)
    if isinstance(check, AskUser):
        decline_unless_someone_can_answer(inv, "patch", check.reason)
        decision = await inv.session.request_patch_approval(
            inv.sub_id, inv.call_id, changes, check.reason, None
        )
        if decision not in (ReviewDecision.APPROVED, ReviewDecision.APPROVED_FOR_SESSION):
            raise RespondToModel("patch rejected by user")
    await inv.session.send_event(
        inv.sub_id, PatchApplyBegin(call_id=inv.call_id, auto_approved=auto_approved, changes=changes)
    )
    tracker = inv.session.diff_tracker()
    if tracker is not None:
        await asyncio.to_thread(tracker.on_patch_begin, plan.affected_paths())
    try:
        await run_to_completion(commit_plan, plan)  # an interrupt waits for it
    except (PatchApplyError, OSError) as e:
        message = str(e)  # it says itself whether the rollback restored every file
        await inv.session.send_event(
            inv.sub_id,
            PatchApplyEnd(call_id=inv.call_id, stdout="", stderr=message, success=False, changes=changes),
        )
        return ToolOutput(patch_output(1, time.monotonic() - started, message), success=False)
    summary = plan.summary()
    await inv.session.send_event(
        inv.sub_id,
        PatchApplyEnd(call_id=inv.call_id, stdout=summary, stderr="", success=True, changes=changes),
    )
    return ToolOutput(patch_output(0, time.monotonic() - started, summary))


class ApplyPatchHandler:
    """Both shapes: the freeform custom tool and the JSON function `{input}`."""

    async def handle(self, inv: ToolInvocation) -> ToolOutput:
        """Apply the patch in the turn's cwd."""
        if isinstance(inv.item, CustomToolCall):
            text = inv.payload
        else:
            text = parse_args(ApplyPatchArgs, inv.payload).input
        return await apply_patch_for_call(inv, text, inv.tc.cwd)

    def parallel_safe(self, inv: ToolInvocation) -> bool:
        """Writes are ordered."""
        return False

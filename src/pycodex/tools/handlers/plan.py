"""`update_plan`: the model's step list, shown to the user."""

from __future__ import annotations

from pycodex.protocol.events import PlanUpdate, UpdatePlanArgs
from pycodex.tools.context import ToolInvocation, ToolOutput, parse_args


class PlanHandler:
    """Emits `plan_update`; the model gets a short acknowledgement."""

    async def handle(self, inv: ToolInvocation) -> ToolOutput:
        """Publish the plan."""
        args = parse_args(UpdatePlanArgs, inv.payload)
        await inv.session.send_event(
            inv.sub_id, PlanUpdate(explanation=args.explanation, plan=args.plan)
        )
        return ToolOutput("Plan updated")

    def parallel_safe(self, inv: ToolInvocation) -> bool:
        """Plans only emit an event."""
        return True

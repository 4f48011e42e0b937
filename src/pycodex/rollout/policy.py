"""Which items a rollout keeps."""

from __future__ import annotations

PERSISTED_RESPONSE_ITEMS = frozenset({
    "message", "reasoning", "local_shell_call", "function_call", "function_call_output",
    "custom_tool_call", "custom_tool_call_output", "web_search_call",
    "tool_search_call", "tool_search_output",
})
# task_started/task_complete are kept (beyond Codex's PR-era set) so a crash mid-turn shows.
PERSISTED_EVENTS = frozenset({
    "user_message", "agent_message", "agent_reasoning", "agent_reasoning_raw_content",
    "token_count", "entered_review_mode", "exited_review_mode", "turn_aborted",
    "context_compacted", "task_started", "task_complete",
    "thread_goal_updated",  # the goal lives in the rollout: resume reads the last one back
    "thread_goal_cleared",  # a cleared goal stays cleared on resume
})
ALWAYS = frozenset({"session_meta", "turn_context", "compacted"})


def is_persisted(line_type: str, payload_type: str | None) -> bool:
    """Whether a rollout line of this kind is written."""
    if line_type in ALWAYS:
        return True
    if line_type == "response_item":
        return payload_type in PERSISTED_RESPONSE_ITEMS
    if line_type == "event_msg":
        return payload_type in PERSISTED_EVENTS
    return False

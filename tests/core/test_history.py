"""History normalisation: dangling calls get `aborted`, outputs follow their calls."""

from __future__ import annotations

from pycodex.context.history import normalize_history
from pycodex.protocol.models import (
    CustomToolCall,
    CustomToolCallOutput,
    FunctionCall,
    FunctionCallOutput,
    user_message,
)


def test_dangling_function_call_gets_aborted_output_right_after_it() -> None:
    """Bad input tried: a call whose process was interrupted (no output recorded)."""
    items = [user_message("a"), FunctionCall(name="exec_command", arguments="{}", call_id="c1"),
             user_message("next")]
    out = normalize_history(items)
    assert out[2] == FunctionCallOutput(call_id="c1", output="aborted")
    assert out[3] == user_message("next")


def test_dangling_custom_call_gets_custom_output() -> None:
    out = normalize_history([CustomToolCall(call_id="p", name="apply_patch", input="x")])
    assert out[1] == CustomToolCallOutput(call_id="p", output="aborted")


def test_parallel_calls_keep_outputs_in_call_order_after_the_block() -> None:
    a = FunctionCall(name="f", arguments="{}", call_id="a")
    b = FunctionCall(name="f", arguments="{}", call_id="b")
    oa, ob = FunctionCallOutput(call_id="a", output="A"), FunctionCallOutput(call_id="b", output="B")
    assert normalize_history([a, b, ob, oa]) == [a, b, oa, ob]


def test_orphan_output_is_dropped() -> None:
    """Bad input tried: an output whose call is missing (torn rollout)."""
    assert normalize_history([FunctionCallOutput(call_id="zz", output="x")]) == []


def test_output_recorded_late_moves_next_to_its_call() -> None:
    c = FunctionCall(name="f", arguments="{}", call_id="c")
    o = FunctionCallOutput(call_id="c", output="done")
    assert normalize_history([c, user_message("u"), o]) == [c, o, user_message("u")]

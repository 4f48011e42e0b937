"""History normalisation: every call followed by its output, nothing dangling."""

from __future__ import annotations

from collections.abc import Sequence

from pycodex.protocol.models import (
    OUTPUT_TYPES,
    CustomToolCall,
    CustomToolCallOutput,
    FunctionCallOutput,
    ResponseItem,
    ToolSearchCall,
    ToolSearchOutput,
    call_id_of,
)

ABORTED_OUTPUT = "aborted"


def normalize_history(items: Sequence[ResponseItem]) -> list[ResponseItem]:
    """Place each output right after its run of calls, add `aborted` for calls without one,
    and drop outputs whose call is gone; the model APIs reject anything else."""
    outputs: dict[str, ResponseItem] = {}
    for item in items:
        if isinstance(item, OUTPUT_TYPES) and item.call_id is not None:
            outputs.setdefault(item.call_id, item)
    result: list[ResponseItem] = []
    run: list[ResponseItem] = []  # consecutive calls whose outputs follow them as a block

    def close_run() -> None:
        for call in run:
            cid = call_id_of(call) or ""
            found = outputs.pop(cid) if cid in outputs else None
            result.append(found if found is not None else aborted_output_for(call))
        run.clear()

    for item in items:
        cid = call_id_of(item)
        if cid is not None:
            result.append(item)
            run.append(item)
            continue
        if isinstance(item, OUTPUT_TYPES) and item.call_id is not None:
            continue  # re-emitted after its call
        close_run()
        result.append(item)
    close_run()
    return result


def aborted_output_for(call: ResponseItem) -> ResponseItem:
    """The synthetic output of a call that never finished."""
    cid = call_id_of(call) or ""
    if isinstance(call, CustomToolCall):
        return CustomToolCallOutput(call_id=cid, output=ABORTED_OUTPUT)
    if isinstance(call, ToolSearchCall):
        return ToolSearchOutput(call_id=cid, tools=[])  # no text to put "aborted" in
    return FunctionCallOutput(call_id=cid, output=ABORTED_OUTPUT)


def missing_outputs(items: Sequence[ResponseItem]) -> list[ResponseItem]:
    """Synthetic outputs for every call in `items` that has none."""
    have = {i.call_id for i in items if isinstance(i, OUTPUT_TYPES)}
    return [
        aborted_output_for(i)
        for i in items
        if call_id_of(i) is not None and call_id_of(i) not in have
    ]

"""The seed's state split: the only place that holds mutable session and turn data.

All mutation happens on the session's event loop and no method here awaits while it
changes data, so each call is atomic with respect to other tasks; callers never see
a lock or a raw field.
"""

from pycodex.state.session_state import SessionState
from pycodex.state.turn import (
    ActiveTurn,
    FinishStatus,
    RunningTask,
    TakenTurn,
    TaskKind,
    TurnSlot,
    TurnState,
)

__all__ = [
    "ActiveTurn",
    "FinishStatus",
    "RunningTask",
    "SessionState",
    "TakenTurn",
    "TaskKind",
    "TurnSlot",
    "TurnState",
]

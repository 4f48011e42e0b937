"""The goal ledger's rules (pure: the clock and token counts are given) and the goal tools'
argument decoding, with Codex 0.169's messages."""

from __future__ import annotations

import pytest

from pycodex.protocol.goals import ThreadGoalStatus
from pycodex.protocol.usage import TokenUsage
from pycodex.state.goals import GoalChange, GoalError, GoalLedger, counted_tokens
from pycodex.tools.handlers.goal_args import ArgsError, parse_create_goal, parse_update_goal
from pycodex.tools.handlers.goals import goal_response

S = ThreadGoalStatus


def ledger_with_goal(budget: int | None = None, counted: int = 0) -> GoalLedger:
    ledger = GoalLedger()
    ledger.create("t", "objective", budget, counted=counted, now=0.0, wall=100)
    return ledger


def test_cached_input_is_not_counted() -> None:
    usage = TokenUsage(input_tokens=400, cached_input_tokens=100, output_tokens=4, total_tokens=404)
    assert counted_tokens(usage) == 304
    assert counted_tokens(None) == 0


def test_usage_counts_from_creation_and_accrues_while_active_or_budget_limited() -> None:
    ledger = ledger_with_goal(budget=1000, counted=5000)  # 5000 were spent before the goal
    assert ledger.account(counted=5000, now=0.5, wall=101).goal is None  # nothing new
    step = ledger.account(counted=5600, now=2.0, wall=102)
    assert step.goal is not None and step.goal.tokens_used == 600 and not step.budget_reached
    step = ledger.account(counted=6000, now=3.0, wall=103)
    assert step.budget_reached and step.goal is not None
    assert (step.goal.status, step.goal.tokens_used) == (S.BUDGET_LIMITED, 1000)  # reached at ==
    step = ledger.account(counted=6500, now=4.0, wall=104)
    assert step.goal is not None and step.goal.tokens_used == 1500 and not step.budget_reached


@pytest.mark.parametrize("status", [S.PAUSED, S.BLOCKED, S.COMPLETE])
def test_stopped_goals_accrue_nothing(status: ThreadGoalStatus) -> None:
    ledger = ledger_with_goal()
    ledger.set_status(status, now=1.0, wall=101)
    assert ledger.account(counted=999, now=5.0, wall=105).goal is None
    goal = ledger.goal()
    assert goal is not None and goal.tokens_used == 0


def test_time_counts_only_within_turns() -> None:
    ledger = ledger_with_goal()  # created at t=0 in a turn
    ledger.account(counted=0, now=2.5, wall=102)
    ledger.pause_clock()  # the turn ended: the next hour is idle
    ledger.account(counted=0, now=3600.0, wall=3700)  # the next turn's first request
    step = ledger.account(counted=10, now=3601.0, wall=3701)
    assert step.goal is not None and step.goal.time_used_seconds == 3


def test_one_unfinished_goal_at_a_time_replaced_only_when_complete() -> None:
    ledger = ledger_with_goal()
    for status in (S.ACTIVE, S.PAUSED, S.BLOCKED, S.BUDGET_LIMITED):
        ledger.set_status(status, now=0.0, wall=100)
        with pytest.raises(GoalError, match="unfinished goal; complete the existing goal first"):
            ledger.create("t", "another", None, counted=0, now=0.0, wall=100)
    ledger.set_status(S.COMPLETE, now=0.0, wall=100)
    goal = ledger.create("t", "another", None, counted=50, now=0.0, wall=200)
    assert (goal.objective, goal.status, goal.tokens_used, goal.created_at) == ("another", S.ACTIVE, 0, 200)


def test_creation_refusals_in_codex_order() -> None:
    """Bad input tried: blank and over-long objectives, zero and negative budgets."""
    ledger = GoalLedger()
    cases = [("  \n ", 5, "goal objective must not be empty"),
             ("x" * 4001, -1, "goal objective must be at most 4000 characters"),
             ("x", 0, "goal budgets must be positive when provided"),
             ("x", -7, "goal budgets must be positive when provided")]
    for objective, budget, message in cases:
        with pytest.raises(GoalError) as e:
            ledger.create("t", objective, budget, counted=0, now=0.0, wall=0)
        assert str(e.value) == message
    assert ledger.create("t", "x" * 4000, None, counted=0, now=0.0, wall=0).objective == "x" * 4000


def test_update_without_goal_is_refused() -> None:
    """Bad input tried: a status change when the thread has no goal."""
    with pytest.raises(GoalError, match=r"^cannot update goal because this thread has no goal$"):
        GoalLedger().set_status(S.COMPLETE, now=0.0, wall=0)


def test_restore_does_not_charge_recorded_usage_again() -> None:
    first = ledger_with_goal(budget=100)
    first.account(counted=40, now=1.0, wall=101)
    recorded = first.goal()
    assert recorded is not None
    second = GoalLedger()
    second.restore(recorded, counted=40_000)  # the whole thread's usage, already charged
    step = second.account(counted=40_010, now=5.0, wall=105)
    assert step.goal is not None and step.goal.tokens_used == 50


def test_goal_response_is_codex_compact_json() -> None:
    ledger = ledger_with_goal(budget=10)
    ledger.account(counted=25, now=1.0, wall=101)
    goal = ledger.set_status(S.COMPLETE, now=1.0, wall=101)
    text = goal_response(goal, completing=True)
    assert text.startswith('{"goal":{"threadId":"t","objective":"objective","status":"complete",'
                           '"tokenBudget":10,"tokensUsed":25,"timeUsedSeconds":1,')
    assert '"remainingTokens":0,"completionBudgetReport":"Goal achieved.' in text
    assert goal_response(None) == '{"goal":null,"remainingTokens":null,"completionBudgetReport":null}'
    assert goal_response(goal) .endswith('"completionBudgetReport":null}')  # only update_goal reports


def test_argument_errors_point_where_serde_points() -> None:
    """Bad input tried: empty text, a non-object, a duplicate field, an integer beyond i64, a null
    objective, a nested object as the status."""
    cases = [
        (parse_create_goal, "", "EOF while parsing a value at line 1 column 0"),
        (parse_create_goal, "[1]", "invalid type: sequence, expected struct CreateGoalRequest at line 1 column 3"),
        (parse_create_goal, '{"objective":"a","objective":"b"}', "duplicate field `objective` at line 1 column 28"),
        (parse_create_goal, '{"objective":"a","token_budget":9223372036854775808}',
         "invalid value: integer `9223372036854775808`, expected i64 at line 1 column 51"),
        (parse_create_goal, '{"objective": null}', "invalid type: null, expected a string at line 1 column 18"),
        (parse_update_goal, '{"status": {"a": 1}}', "expected value at line 1 column 12"),
        (parse_update_goal, '{"status": "complete"} x', "trailing characters at line 1 column 24"),
    ]
    for parse, text, message in cases:
        with pytest.raises(ArgsError) as e:
            parse(text)
        assert str(e.value) == message, text
    assert parse_create_goal('{"objective": "ünï", "token_budget": null}').objective == "ünï"
    assert parse_update_goal(' {"status": "paused"} ').status is S.PAUSED


# ---- changes a client makes (the app-server's thread/goal/set and thread/goal/clear) --------


def test_client_edit_creates_then_changes_keeping_usage() -> None:
    """Bad input tried: a change with no goal and no objective, an empty objective, a zero budget."""
    ledger = GoalLedger()
    with pytest.raises(GoalError, match="no goal"):
        ledger.edit("t", GoalChange(status=S.PAUSED), counted=0, now=0.0, wall=1)
    with pytest.raises(GoalError, match="must not be empty"):
        ledger.edit("t", GoalChange(objective="  "), counted=0, now=0.0, wall=1)
    with pytest.raises(GoalError, match="must be positive"):
        ledger.edit("t", GoalChange(objective="x", token_budget=0, budget_given=True),
                    counted=0, now=0.0, wall=1)
    goal = ledger.edit("t", GoalChange(objective=" ship "), counted=50, now=0.0, wall=1)
    assert (goal.objective, goal.status, goal.token_budget) == ("ship", S.ACTIVE, None)
    ledger.account(counted=350, now=1.0, wall=2)  # 300 tokens spent on it
    goal = ledger.edit("t", GoalChange(objective="ship v2"), counted=350, now=1.0, wall=3)
    assert (goal.objective, goal.tokens_used, goal.status) == ("ship v2", 300, S.ACTIVE)
    # A budget already spent stops the active goal at once; a paused one stays paused.
    goal = ledger.edit("t", GoalChange(token_budget=200, budget_given=True), counted=350, now=1.0, wall=4)
    assert (goal.status, goal.token_budget) == (S.BUDGET_LIMITED, 200)
    goal = ledger.edit("t", GoalChange(status=S.PAUSED, token_budget=None, budget_given=True),
                       counted=350, now=1.0, wall=5)
    assert (goal.status, goal.token_budget) == (S.PAUSED, None)


def test_client_clear_forgets_the_goal() -> None:
    ledger = ledger_with_goal()
    assert ledger.clear() is True
    assert ledger.goal() is None and ledger.clear() is False
    goal = ledger.edit("t", GoalChange(objective="again"), counted=0, now=0.0, wall=9)
    assert goal.objective == "again" and goal.tokens_used == 0

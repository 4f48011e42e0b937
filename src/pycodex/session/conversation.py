"""The library API: conversations you can submit to, stream, or simply `run`."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pycodex.protocol import events as ev
from pycodex.protocol import ops
from pycodex.protocol.inputs import InputItem, TextInput
from pycodex.protocol.policies import ReviewDecision
from pycodex.protocol.usage import TokenUsage
from pycodex.session.codex import Codex, InitialHistory

if TYPE_CHECKING:
    from pycodex.config.config import Config


ApprovalRequest = ev.ExecApprovalRequest | ev.ApplyPatchApprovalRequest
# Gets the request, returns the decision; may be a plain function or a coroutine function.
Approver = Callable[[ApprovalRequest], ReviewDecision | Awaitable[ReviewDecision]]
NO_APPROVER = "declined: run() was given no approve callback"

# What an `answer` handler may return: the protocol response, or answers by question id (a
# label or free text, or a list of them).
Answers = ops.RequestUserInputResponse | Mapping[str, str | Sequence[str]]
# Gets the questions, returns the answers; may be a plain function or a coroutine function.
Answerer = Callable[[list[ev.RequestUserInputQuestion]], Answers | Awaitable[Answers]]
NO_ANSWERER = "no user is available: run() was given no answer handler"
# How long a cancelled `run` / `review` waits for its interrupted turn to end.
ABANDON_WAIT_SECONDS = 10.0


@dataclass
class ApprovalOutcome:
    """An approval the turn asked for, and how it was answered."""

    request: ApprovalRequest
    decision: ReviewDecision
    note: str | None = None  # why it was declined without asking anyone


@dataclass
class QuestionOutcome:
    """Questions the model asked (`request_user_input`), and the answers it got."""

    request: ev.RequestUserInputEvent
    response: ops.RequestUserInputResponse
    note: str | None = None  # why no answers were given


@dataclass
class RunResult:
    """What one `run` produced."""

    final_message: str | None
    items: list[Any] = field(default_factory=list)  # exec ThreadItems, completed ones
    usage: TokenUsage | None = None
    error: str | None = None
    events: list[ev.Event] = field(default_factory=list)
    approvals: list[ApprovalOutcome] = field(default_factory=list)
    questions: list[QuestionOutcome] = field(default_factory=list)


@dataclass
class ReviewResult(RunResult):
    """What one `review` produced: a RunResult (`final_message` is the rendered review) and
    the structured review."""

    output: ev.ReviewOutputEvent | None = None  # None: the review did not finish
    text: str | None = None  # as Codex renders it: the overall explanation, then the findings


class ReviewError(Exception):
    """A review that could not start (its target cannot be reviewed); one line for the user."""


class ConversationClosed(RuntimeError):
    """`run` or `review` on a conversation that has shut down."""

    def __init__(self, conversation_id: str) -> None:
        super().__init__(f"conversation {conversation_id} has shut down: start or resume another")


class Conversation:
    """One conversation: submit ops and read its events (or call `run`)."""

    def __init__(self, codex: Codex, config: Config, configured: ev.SessionConfigured) -> None:
        self._codex = codex
        self.config = config
        self.configured = configured
        self._shut_down = False  # shutdown_complete was read

    @property
    def id(self) -> str:
        """The conversation (thread) id."""
        return self._codex.conversation_id

    @property
    def rollout_path(self) -> Path | None:
        """Where the conversation is recorded."""
        return self._codex.rollout_path

    async def submit(self, op: ops.Op) -> str:
        """Queue an op; returns its submission id."""
        return await self._codex.submit(op)

    async def submit_with_id(self, sub_id: str, op: ops.Op) -> None:
        """Queue an op under a submission id the caller chose (its events carry that id)."""
        await self._codex.submit_with_id(ops.Submission.model_construct(id=sub_id, op=op))

    def finished(self) -> bool:
        """Whether the conversation has shut down."""
        return self._shut_down or self._codex.loop_finished()

    async def next_event(self) -> ev.Event:
        """The next event."""
        event = await self._codex.next_event()
        if isinstance(event.msg, ev.ShutdownComplete):
            self._shut_down = True
        return event

    def next_event_nowait(self) -> ev.Event | None:
        """An event that is already waiting, or None."""
        return self._codex.next_event_nowait()

    async def events(self) -> AsyncIterator[ev.Event]:
        """Events until shutdown completes."""
        while True:
            event = await self._codex.next_event()
            yield event
            if isinstance(event.msg, ev.ShutdownComplete):
                return

    async def run(
        self,
        prompt: str | list[InputItem],
        *,
        approve: Approver | None = None,
        answer: Answerer | None = None,
        **turn: Any,
    ) -> RunResult:
        """Submit one user turn and wait for it to end.

        Approval requests go to `approve` (sync or async; it gets the request and returns the
        decision). Without it every request is denied at once, never waited on, and each is
        listed in `RunResult.approvals` with the note `NO_APPROVER`. The model's questions go
        to `answer` the same way (it gets the questions and returns the answers by question
        id); without it they get no answers at once, the model is told that no user is
        available, and each is listed in `RunResult.questions` with the note `NO_ANSWERER`.
        Call `run` when no turn is running; `turn` overrides the turn's settings (cwd, approval_policy, model, ...).
        Cancelling `run` (a timeout) interrupts the turn; on a conversation that has shut down
        it raises `ConversationClosed`.
        """
        self._check_open()
        items = [TextInput(text=prompt)] if isinstance(prompt, str) else prompt
        tc = {
            "cwd": self.config.cwd,
            "approval_policy": self.config.approval_policy,
            "sandbox_policy": self.config.sandbox_policy,
            "model": self.configured.model,
            "effort": self.config.model_reasoning_effort,
            "summary": self.config.model_reasoning_summary,
            **turn,
        }
        sub_id = await self.submit(ops.UserTurn(items=items, **tc))
        result = RunResult(final_message=None)
        await self._drive(sub_id, result, approve, answer, refusable=False)
        return result

    async def review(
        self,
        target: ev.ReviewTarget,
        *,
        user_facing_hint: str | None = None,
        approve: Approver | None = None,
        answer: Answerer | None = None,
    ) -> ReviewResult:
        """Run a code review of `target` and wait for it to end.

        The reviewer works in a history of its own; the conversation keeps a summary of its
        result. `ReviewResult.output` is the structured review (None when it did not finish),
        `ReviewResult.text` the review as Codex renders it; `final_message` is the turn's last
        answer (input sent during the review is answered after it). Approvals and questions are handled
        as in `run`. A target that cannot be reviewed (not a git repository, an unknown branch
        or commit, empty instructions) raises `ReviewError` and sends nothing to the model.
        Call `review` when no turn is running: a running one would be replaced. Cancelling it
        interrupts the review; on a conversation that has shut down it raises
        `ConversationClosed`.
        """
        self._check_open()
        request = ev.ReviewRequest(target=target, user_facing_hint=user_facing_hint)
        sub_id = await self.submit(ops.Review(review_request=request))
        result = ReviewResult(final_message=None)
        refused = await self._drive(sub_id, result, approve, answer, refusable=True)
        if refused is not None:
            raise ReviewError(refused)
        exited = False
        for event in result.events:
            if event.id != sub_id:
                continue
            if isinstance(event.msg, ev.ExitedReviewMode):
                exited, result.output = True, event.msg.review_output
            elif exited and isinstance(event.msg, ev.AgentMessage) and result.text is None:
                result.text = event.msg.message  # the review's own message, not a later answer
        return result

    def _check_open(self) -> None:
        # An op queued for an ended loop would never be answered: `run` would wait forever.
        if self.finished():
            raise ConversationClosed(self.id)

    async def _drive(
        self, sub_id: str, result: RunResult, approve: Approver | None, answer: Answerer | None,
        *, refusable: bool,
    ) -> str | None:
        """Follow a submission until its task ends, answering approvals and questions. A
        refusable one (a review) may instead be refused with one error before its task starts:
        that error is returned. Cancelled, it interrupts the task and waits for it to end."""
        try:
            return await self._follow(sub_id, result, approve, answer, refusable=refusable)
        except asyncio.CancelledError:
            # The caller gave up (a timeout): a turn left running would take the next run's
            # input as its own, and that run would never see its turn end.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._abandon(sub_id, result, refusable=refusable),
                                       ABANDON_WAIT_SECONDS)
            raise

    async def _abandon(self, sub_id: str, result: RunResult, *, refusable: bool) -> None:
        """Interrupt the submission's task and read its events until it has ended."""
        started = any(e.id == sub_id and isinstance(e.msg, ev.TaskStarted) for e in result.events)
        if self.finished():
            return
        await self.submit(ops.Interrupt())
        while not self.finished():
            event = await self.next_event()
            msg = event.msg
            if event.id != sub_id:
                continue
            if isinstance(msg, ev.TaskStarted):
                if not started:  # it was still queued when the interrupt came: interrupt it now
                    await self.submit(ops.Interrupt())
                started = True
            elif isinstance(msg, ev.TaskComplete | ev.TurnAborted):
                return
            elif refusable and not started and isinstance(msg, ev.ErrorEvent):
                return  # refused before it started: there is no task to end

    async def _follow(
        self, sub_id: str, result: RunResult, approve: Approver | None, answer: Answerer | None,
        *, refusable: bool,
    ) -> str | None:
        from pycodex.protocol import exec_events as xe
        from pycodex.protocol.exec_jsonl import JsonlMapper

        mapper = JsonlMapper()
        started = False
        while True:
            event = await self.next_event()
            result.events.append(event)
            for line in mapper.map(event.msg):
                if isinstance(line, xe.ItemCompleted):
                    result.items.append(line.item)
            msg = event.msg
            if isinstance(msg, ev.ExecApprovalRequest | ev.ApplyPatchApprovalRequest):
                outcome = await _answer(msg, approve)
                result.approvals.append(outcome)
                op_type = ops.ExecApproval if isinstance(msg, ev.ExecApprovalRequest) else ops.PatchApproval
                await self.submit(op_type(id=event.id, decision=outcome.decision))
            if isinstance(msg, ev.RequestUserInputEvent):
                replied = await _reply(msg, answer)
                result.questions.append(replied)
                await self.submit(ops.UserInputAnswer(id=event.id, response=replied.response))
            if isinstance(msg, ev.ErrorEvent):
                result.error = msg.message
            if isinstance(msg, ev.TokenCount) and msg.info is not None:
                result.usage = msg.info.total_token_usage
            if event.id == sub_id and isinstance(msg, ev.TaskStarted):
                started = True
            if event.id == sub_id and isinstance(msg, ev.TaskComplete | ev.TurnAborted):
                break
            if refusable and not started and event.id == sub_id and isinstance(msg, ev.ErrorEvent):
                return msg.message
        result.final_message = mapper.last_agent_message
        return None

    async def shutdown(self) -> None:
        """End the conversation: kill its commands, close its rollout."""
        if self.finished():
            return
        await self.submit(ops.Shutdown())
        while not isinstance((await self.next_event()).msg, ev.ShutdownComplete):
            pass


async def _answer(request: ApprovalRequest, approve: Approver | None) -> ApprovalOutcome:
    if approve is None:
        return ApprovalOutcome(request, ReviewDecision.DENIED, NO_APPROVER)
    try:
        decision = approve(request)
        if inspect.isawaitable(decision):
            decision = await decision
    except Exception as e:  # the caller's callback failed: deny, and say why
        return ApprovalOutcome(request, ReviewDecision.DENIED, f"declined: approve callback raised {e!r}")
    if not isinstance(decision, ReviewDecision):
        return ApprovalOutcome(
            request, ReviewDecision.DENIED, f"declined: approve callback returned {decision!r}"
        )
    return ApprovalOutcome(request, decision)


async def _reply(request: ev.RequestUserInputEvent, answer: Answerer | None) -> QuestionOutcome:
    none = ops.RequestUserInputResponse(answers={})
    if answer is None:
        return QuestionOutcome(request, none, NO_ANSWERER)
    try:
        given = answer(list(request.questions))
        if inspect.isawaitable(given):
            given = await given
    except Exception as e:  # the caller's handler failed: no answers, and say why
        return QuestionOutcome(request, none, f"no answers: answer handler raised {e!r}")
    try:
        return QuestionOutcome(request, _as_response(given))
    except TypeError as e:
        return QuestionOutcome(request, none, f"no answers: answer handler returned {e}")


def _as_response(given: object) -> ops.RequestUserInputResponse:
    """The handler's answers in the protocol's shape; anything else is refused."""
    if isinstance(given, ops.RequestUserInputResponse):
        return given
    if not isinstance(given, Mapping):
        raise TypeError(f"{given!r}, not answers by question id")
    answers: dict[str, ops.RequestUserInputAnswer] = {}
    for qid, value in given.items():
        texts = [value] if isinstance(value, str) else value
        if (
            not isinstance(qid, str)
            or not isinstance(texts, list | tuple)
            or not all(isinstance(t, str) for t in texts)
        ):
            raise TypeError(f"{qid!r}: {value!r}, not a text answer (or a list of them)")
        answers[qid] = ops.RequestUserInputAnswer(answers=list(texts))
    return ops.RequestUserInputResponse(answers=answers)


class ConversationManager:
    """Many conversations in one process, each with its own session and state."""

    def __init__(self) -> None:
        self._conversations: dict[str, Conversation] = {}

    async def _start(self, config: Config, initial: InitialHistory) -> Conversation:
        codex = await Codex.spawn(config, initial)
        first = await codex.next_event()
        if not isinstance(first.msg, ev.SessionConfigured):
            raise RuntimeError(f"expected session_configured, got {first.msg.type}")
        conv = Conversation(codex, config, first.msg)
        self._conversations[conv.id] = conv
        return conv

    async def new_conversation(self, config: Config) -> Conversation:
        """Start a fresh conversation."""
        return await self._start(config, InitialHistory())

    async def resume_conversation(self, config: Config, rollout_path: Path) -> Conversation:
        """Continue a recorded conversation with the same thread id."""
        from pycodex.rollout.reader import load_rollout

        loaded = await asyncio.to_thread(load_rollout, rollout_path)  # may be many megabytes
        return await self._start(
            config, InitialHistory(kind="resumed", rollout=loaded, rollout_path=rollout_path)
        )

    async def fork_conversation(
        self, config: Config, rollout_path: Path, nth_user_message: int
    ) -> Conversation:
        """A new thread holding a recorded one's history before its N-th user message."""
        from pycodex.rollout.fork import fork_items
        from pycodex.rollout.reader import load_rollout

        loaded = await asyncio.to_thread(load_rollout, rollout_path)  # may be many megabytes
        loaded.items = fork_items(loaded.items, nth_user_message)
        return await self._start(
            config,
            InitialHistory(
                kind="forked", rollout=loaded, forked_from=loaded.meta.id if loaded.meta else None
            ),
        )

    def get(self, conversation_id: str) -> Conversation | None:
        """A running conversation by id."""
        return self._conversations.get(conversation_id)

    async def remove(self, conversation_id: str) -> None:
        """Shut a conversation down and forget it."""
        conv = self._conversations.pop(conversation_id, None)
        if conv is not None:
            await conv.shutdown()

    async def shutdown_all(self) -> None:
        """Shut every conversation down."""
        for cid in list(self._conversations):
            await self.remove(cid)

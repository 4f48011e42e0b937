"""Running `exec`: config, prompt, conversation, output, exit code."""

from __future__ import annotations

import asyncio
import gc
import json
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pycodex.cli.entry import end_startup_pause
from pycodex.cli.exec_cmd import ExecOptions

if TYPE_CHECKING:
    from pycodex.cli.last_message import LastMessageFile
    from pycodex.config.config import Config
    from pycodex.protocol.events import ReviewTarget
    from pycodex.session.codex import InitialHistory
    from pycodex.session.headless import HeadlessFlags


class ExecError(Exception):
    """A start-up problem reported as one line on stderr, exit code 1."""


def run_exec(opts: ExecOptions) -> int:
    """Run the task; returns the process exit code."""
    review: ReviewTarget | None = None
    try:
        if opts.review is not None:
            review = _review_target(opts)
            prompt = None
        else:
            prompt = _read_prompt(opts)
        last_message = _check_last_message_path(opts.output_last_message)
        config, initial = _prepare(opts)
        schema = _load_schema(opts.output_schema)
    except ExecError as e:
        for line in str(e).splitlines() or [""]:  # a config error may list several problems
            print(f"Error: {line}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # Ctrl-C while the prompt is read from stdin: as a shell reports it
        return 128 + signal.SIGINT
    return asyncio.run(_run(opts, config, initial, prompt, schema, review, last_message))


def _review_target(opts: ExecOptions) -> ReviewTarget:
    """`exec review`'s target; its instructions come from PROMPT, or stdin for `-`."""
    from pycodex.cli.exec_review import NOTHING_TO_REVIEW

    assert opts.review is not None
    instructions = _read_stdin() if opts.prompt == "-" else opts.prompt
    target = opts.review.target(instructions)
    if target is None:
        raise ExecError(NOTHING_TO_REVIEW)
    return target


def _read_prompt(opts: ExecOptions) -> str | None:
    """The turn's text; a run with nothing to send is refused (it would end without a turn)."""
    if opts.prompt is not None and opts.prompt != "-":
        if not opts.prompt.strip() and not opts.images:
            raise ExecError("the prompt is empty")
        if opts.resume is None and opts.fork is None and not _stdin_is_terminal():  # `cat log | exec "explain"`
            return with_stdin_block(opts.prompt, _read_stdin(announce=True))
        return opts.prompt
    if opts.prompt == "-" or not _stdin_is_terminal():
        text = _read_stdin()
        if not text.strip() and not opts.images:
            raise ExecError("no prompt provided on stdin")
        return text or None
    raise ExecError("no prompt provided: pass PROMPT, or '-' to read it from stdin")


def _stdin_is_terminal() -> bool:
    return sys.stdin is not None and sys.stdin.isatty()


def with_stdin_block(prompt: str, stdin: str) -> str:
    """The prompt with piped input appended as Codex 0.169 appends it (nothing for blank input)."""
    if not stdin.strip():
        return prompt
    end = "" if stdin.endswith("\n") else "\n"
    return f"{prompt}\n\n<stdin>\n{stdin}{end}</stdin>"


def _read_stdin(*, announce: bool = False) -> str:
    """All of stdin as UTF-8 text (none when it is closed); other bytes are refused, as Codex does.

    With `announce`, a stdin with nothing to read yet is named on stderr before the wait: an
    open pipe nobody writes to would otherwise look like a hang.
    """
    if sys.stdin is None:  # started with file descriptor 0 closed
        return ""
    if announce:
        import select

        try:
            ready = bool(select.select([sys.stdin], [], [], 0)[0])
        except (OSError, ValueError):
            ready = True
        if not ready:
            print("Reading additional input from stdin...", file=sys.stderr, flush=True)
    data = sys.stdin.buffer.read()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ExecError(f"cannot read the prompt from stdin: it is not UTF-8 (invalid byte at offset {e.start})") from e


def _check_last_message_path(path: Path | None) -> LastMessageFile | None:
    """Refuse an `-o` file that cannot be written before any work is done (as Codex does)."""
    if path is None:
        return None
    from pycodex.cli.last_message import LastMessageError, open_last_message_file

    try:
        return open_last_message_file(path)
    except LastMessageError as e:
        raise ExecError(str(e)) from e


def _flags(opts: ExecOptions) -> HeadlessFlags:
    """The flags `exec` shares with the other headless surfaces."""
    from pycodex.session.headless import HeadlessFlags

    return HeadlessFlags(
        model=opts.model, config=list(opts.config), profile=opts.profile, sandbox=opts.sandbox,
        approval=opts.approval, full_auto=opts.full_auto, yolo=opts.yolo,
        add_dir=list(opts.add_dir), oss=opts.oss, ephemeral=opts.ephemeral,
    )


def _prepare(opts: ExecOptions) -> tuple[Config, InitialHistory | None]:
    from pycodex.config.config import ConfigError, load_config
    from pycodex.config.home import ensure_home
    from pycodex.session.headless import headless_overrides, make_headless

    flags = _flags(opts)
    cli = headless_overrides(flags, opts.cd)
    initial = None
    try:
        config = load_config(cli)
        ensure_home(config.home)  # sessions and history are written there
        if opts.resume is not None or opts.fork is not None:
            initial, recorded_model = _resume_history(config, opts.resume, fork=opts.fork,
                                                      all_dirs=opts.all_dirs)
            if opts.model is None and recorded_model:
                cli.model = recorded_model
                config = load_config(cli)
        for warning in config.warnings:  # once per run, from the config actually used
            print(warning, file=sys.stderr)
        make_headless(config, flags)  # exec cannot ask anyone
    except ConfigError as e:  # -c syntax errors are ConfigErrors too
        raise ExecError(str(e)) from e
    if not config.cwd.is_dir():
        raise ExecError(f"working directory {config.cwd} does not exist")
    if not opts.skip_git_repo_check:
        from pycodex.context.project_doc import find_git_root

        if find_git_root(config.cwd) is None:
            raise ExecError(
                "Not inside a trusted directory and --skip-git-repo-check was not specified."
            )
    _check_api_key(config)
    return config, initial


def _check_api_key(config: Config) -> None:
    from pycodex.model.providers import MissingApiKeyError, api_key_for

    try:
        api_key_for(config.model_provider, config.env)
    except MissingApiKeyError as e:
        raise ExecError(str(e)) from e


def _resume_history(
    config: Config, which: str | None, *, fork: str | None = None, all_dirs: bool = False
) -> tuple[InitialHistory, str | None]:
    """The recorded history to continue (`which`: an id, or "--last": the newest session of
    this directory, of any with `all_dirs`, as Codex), or to copy into a fork."""
    from pycodex.rollout.lookup import find_rollout_by_id, newest_rollout
    from pycodex.rollout.reader import last_turn_context, load_rollout
    from pycodex.rollout.validate import rollout_problem
    from pycodex.session.codex import InitialHistory

    if which == "--last":
        def skip(path: Path, problem: str) -> None:
            print(f"Warning: skipping {path}: {problem}", file=sys.stderr)

        path = newest_rollout(config.home, cwd=None if all_dirs else config.cwd, on_skip=skip)
        if path is None and all_dirs:
            raise ExecError(f"no recorded session to resume in {config.home / 'sessions'}")
        if path is None:
            raise ExecError(f"no recorded session in {config.cwd} to resume (--all: from any directory)")
    else:
        wanted = fork if fork is not None else which
        assert wanted is not None
        path = find_rollout_by_id(config.home, wanted)
        if path is None:
            raise ExecError(f"no recorded session with id {wanted}")
        # Refused before anything reads it as a rollout or repairs (truncates) its tail.
        problem = rollout_problem(path)
        if problem is not None:
            raise ExecError(f"{path} is not a session rollout: {problem}")
    loaded = load_rollout(path)
    if loaded.meta is None:
        raise ExecError(f"{path} is not a session rollout (no session_meta line)")
    # The history lives as long as this process: moved out of the cyclic collector's sight,
    # its tens of thousands of objects are not walked again by every full collection (even
    # when the collector was not paused for start-up: `python -m pycodex.cli.main`).
    gc.freeze()
    ctx = last_turn_context(loaded.items)
    model = ctx.model if ctx is not None else loaded.meta.model
    if fork is not None:  # a new thread and file; the recorded one is only read
        return InitialHistory(kind="forked", rollout=loaded, forked_from=loaded.meta.id), model
    return InitialHistory(kind="resumed", rollout=loaded, rollout_path=path), model


def _load_schema(path: Path | None) -> Any:
    if path is None:
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise ExecError(f"cannot read output schema {path}: {e}") from e


async def _run(
    opts: ExecOptions,
    config: Config,
    initial: InitialHistory | None,
    prompt: str | None,
    schema: Any,
    review: ReviewTarget | None = None,
    last_message: LastMessageFile | None = None,
) -> int:
    from pycodex.protocol import events as ev
    from pycodex.protocol import ops
    from pycodex.protocol.inputs import InputItem, LocalImageInput, TextInput
    from pycodex.session.codex import Codex

    review_op: ops.Review | None = None
    if review is not None:
        from pycodex.tasks.review_target import ReviewTargetError, resolve_review

        try:  # checked before a session (and its rollout) exists; the session checks again
            await resolve_review(ev.ReviewRequest(target=review), config.cwd)
        except ReviewTargetError as e:
            print(f"Error: cannot review: {e}", file=sys.stderr)
            return 1
        review_op = ops.Review(review_request=ev.ReviewRequest(target=review))

    if opts.json:
        from pycodex.cli.output_jsonl import JsonlOutput

        out: Any = JsonlOutput()
    else:
        from pycodex.cli.output_human import HumanOutput

        out = HumanOutput(config, color=opts.color)
    try:
        codex = await Codex.spawn(config, initial)
    except Exception as e:
        print(f"Error: {e}", file=sys.stderr)
        return 1
    end_startup_pause()  # the session is up: start-up's objects live until exit
    loop = asyncio.get_running_loop()
    stop_signal: int | None = None  # SIGINT / SIGTERM received: end like an interrupt
    pending: set[asyncio.Task[None]] = set()
    submitted = False
    shutting_down = False

    async def shut_down() -> None:
        nonlocal shutting_down
        if not shutting_down:
            shutting_down = True
            await codex.submit(ops.Shutdown())  # aborts the turn (turn_aborted), kills commands

    def on_signal(signum: int) -> None:
        nonlocal stop_signal
        if stop_signal is not None:
            sys.exit(128 + signum)  # a second signal: leave now; the watchdog kills commands
        stop_signal = signum
        if submitted:  # before the session is configured, its first event ends the run
            task = loop.create_task(shut_down())
            pending.add(task)
            task.add_done_callback(pending.discard)

    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(signum, on_signal, signum)
        except (NotImplementedError, RuntimeError):
            pass

    items: list[InputItem] = [LocalImageInput(path=p) for p in opts.images]
    if prompt:
        items.append(TextInput(text=prompt))
    pending_event = None
    first_sub: str | None = None
    started = False
    while True:
        # Drain whatever is queued before sleeping again: one wake-up per burst, not per delta.
        event = pending_event or await codex.next_event()
        pending_event = codex.next_event_nowait()
        out.handle(event)
        msg = event.msg
        if isinstance(msg, ev.SessionConfigured) and not submitted:
            submitted = True
            if review_op is not None and stop_signal is None:
                first_sub = await codex.submit(review_op)
            elif items and stop_signal is None:
                first_sub = await codex.submit(
                    ops.UserTurn(
                        items=items,
                        cwd=config.cwd,
                        approval_policy=config.approval_policy,
                        sandbox_policy=config.sandbox_policy,
                        model=msg.model,
                        effort=config.model_reasoning_effort,
                        summary=config.model_reasoning_summary,
                        final_output_json_schema=schema,
                    )
                )
            else:
                await shut_down()
        elif isinstance(msg, ev.TaskStarted):
            started = True
        elif isinstance(msg, ev.TaskComplete | ev.TurnAborted):
            await shut_down()
        elif isinstance(msg, ev.ErrorEvent) and not started and event.id == first_sub:
            await shut_down()  # refused before it began (a review target that no longer checks out)
        elif isinstance(msg, ev.ShutdownComplete):
            break
    out.finish()
    written = True
    if last_message is not None:
        written = _write_last_message(last_message, out.last_agent_message)
    if stop_signal is not None:
        return 128 + stop_signal  # 130 for Ctrl-C, 143 for SIGTERM, as shells report them
    return 1 if out.failed or not written else 0


def _write_last_message(target: LastMessageFile, text: str | None) -> bool:
    """Write `-o`'s file; False (after one line on stderr) when it could not be written."""
    from pycodex.cli.last_message import LastMessageError, write_last_message

    if text is None:
        print(f"Warning: no last agent message; wrote empty content to {target.path}", file=sys.stderr)
    try:
        write_last_message(target, text or "")
    except LastMessageError as e:
        print(f"Error: {e}", file=sys.stderr)
        return False
    return True

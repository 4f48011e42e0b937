"""`pycodex exec`: run one task non-interactively (Codex-compatible flags)."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

import click

from pycodex.cli.exec_review import ReviewArgs
from pycodex.protocol.modes import AskForApproval, SandboxMode


@dataclass
class ExecOptions:
    """Everything `exec` was asked to do."""

    prompt: str | None
    json: bool = False
    model: str | None = None
    config: list[str] = field(default_factory=list)
    profile: str | None = None
    sandbox: SandboxMode | None = None
    approval: AskForApproval | None = None
    full_auto: bool = False
    yolo: bool = False
    cd: Path | None = None
    skip_git_repo_check: bool = False
    add_dir: list[Path] = field(default_factory=list)
    images: list[Path] = field(default_factory=list)
    output_last_message: Path | None = None
    output_schema: Path | None = None
    oss: bool = False
    ephemeral: bool = False
    resume: str | None = None  # thread id, or "--last"
    all_dirs: bool = False  # `resume --last --all`: the newest session of any directory
    fork: str | None = None  # `exec fork SESSION_ID`: a new thread with that one's history
    color: str = "auto"
    review: ReviewArgs | None = None  # `exec review`: its flags


def _split_images(values: tuple[str, ...]) -> list[Path]:
    return [Path(p) for v in values for p in v.split(",") if p]


@click.command(
    "exec",
    context_settings={"help_option_names": ["-h", "--help"], "ignore_unknown_options": False},
)
@click.argument("args", nargs=-1)
@click.option("--json", "--experimental-json", "json_mode", is_flag=True, help="Print JSONL events.")
@click.option("-m", "--model", help="Model to use.")
@click.option("-c", "--config", "config", multiple=True, help="Override a config value: key=value (TOML).")
@click.option("-p", "--profile", help="Config profile to use.")
@click.option("-s", "--sandbox", type=click.Choice([m.value for m in SandboxMode]), help="Sandbox policy.")
@click.option(
    "-a",
    "--ask-for-approval",
    "approval",
    type=click.Choice([a.value for a in AskForApproval]),
    help="When to ask before running commands.",
)
@click.option("--full-auto", is_flag=True, help="Sandboxed writes in the workspace, no prompts.")
@click.option(
    "--dangerously-bypass-approvals-and-sandbox",
    "--yolo",
    "yolo",
    is_flag=True,
    help="No sandbox and no approvals. Only in an externally sandboxed environment.",
)
@click.option("-C", "--cd", type=click.Path(path_type=Path), help="Working directory for the agent.")
@click.option("--skip-git-repo-check", is_flag=True, help="Allow running outside a git repository.")
@click.option("--add-dir", multiple=True, type=click.Path(path_type=Path), help="Another writable root.")
@click.option("-i", "--image", "images", multiple=True, help="Attach image file(s).")
@click.option("-o", "--output-last-message", type=click.Path(path_type=Path), help="Write the last message here.")
@click.option("--output-schema", type=click.Path(path_type=Path), help="JSON Schema the final answer must follow.")
@click.option("--oss", is_flag=True, help="Use the local open-source model provider (Ollama).")
@click.option("--search", is_flag=True, help='Live web search for the model (web_search = "live").')
@click.option("--ephemeral", is_flag=True, help="Do not record this session.")
@click.option("--last", is_flag=True, help="With `resume`: the most recent session in this directory.")
@click.option("--all", "all_dirs", is_flag=True, help="With `resume --last`: of any directory.")
@click.option("--color", type=click.Choice(["always", "never", "auto"]), default="auto")
@click.option("--uncommitted", is_flag=True, help="exec review: staged, unstaged and untracked changes.")
@click.option("--base", metavar="BRANCH", help="exec review: the changes against this base branch.")
@click.option("--commit", metavar="SHA", help="exec review: the changes one commit introduced.")
@click.option("--title", help="exec review: the commit's title, shown with it.")
@click.option("--thread-source", hidden=True, help="Who started the thread (sent by the Codex SDK).")
@click.option("--cyber-access-program", hidden=True, help="Accepted for Codex SDK compatibility.")
def exec_command(
    args: tuple[str, ...],
    json_mode: bool,
    model: str | None,
    config: tuple[str, ...],
    profile: str | None,
    sandbox: str | None,
    approval: str | None,
    full_auto: bool,
    yolo: bool,
    cd: Path | None,
    skip_git_repo_check: bool,
    add_dir: tuple[Path, ...],
    images: tuple[str, ...],
    output_last_message: Path | None,
    output_schema: Path | None,
    oss: bool,
    search: bool,
    ephemeral: bool,
    last: bool,
    all_dirs: bool,
    color: str,
    uncommitted: bool,
    base: str | None,
    commit: str | None,
    title: str | None,
    thread_source: str | None,
    cyber_access_program: str | None,
) -> None:
    """Run a task: `exec [PROMPT|-]`, `exec resume [SESSION_ID|--last] [PROMPT]`, `exec fork
    SESSION_ID [PROMPT]`, or `exec review [--uncommitted | --base BRANCH | --commit SHA [--title
    T] | PROMPT|-]`."""
    positional = list(args)
    resume: str | None = None
    flags = ReviewArgs(uncommitted=uncommitted, base=base, commit=commit, title=title)
    review: ReviewArgs | None = None
    if positional and positional[0] == "review":
        positional.pop(0)
        review = flags
    elif flags.given():
        raise click.UsageError("--uncommitted, --base, --commit and --title are options of `exec review`")
    fork: str | None = None
    if positional and positional[0] == "resume" and review is None:
        positional.pop(0)
        if last:
            resume = "--last"
        elif positional:
            resume = positional.pop(0)
        else:
            raise click.UsageError("resume needs a SESSION_ID or --last")
    elif last:
        raise click.UsageError("--last is an option of `exec resume`")
    if all_dirs and resume != "--last":
        raise click.UsageError("--all is an option of `exec resume --last`")
    elif positional and positional[0] == "fork" and review is None:
        positional.pop(0)
        if not positional:
            raise click.UsageError("fork needs a SESSION_ID")
        fork = positional.pop(0)
    if len(positional) > 1:
        raise click.UsageError(f"unexpected extra arguments: {' '.join(positional[1:])}")
    if review is not None:
        review.check(positional[0] if positional else None)
        if images or output_schema is not None:
            raise click.UsageError("exec review takes no --image or --output-schema")
    opts = ExecOptions(
        prompt=positional[0] if positional else None,
        json=json_mode,
        model=model,
        # `--search` is `-c web_search="live"` given last, so it wins over other `-c` values.
        config=[*config, 'web_search="live"'] if search else list(config),
        profile=profile,
        sandbox=SandboxMode(sandbox) if sandbox else None,
        approval=AskForApproval(approval) if approval else None,
        full_auto=full_auto,
        yolo=yolo,
        cd=cd,
        skip_git_repo_check=skip_git_repo_check,
        add_dir=list(add_dir),
        images=_split_images(images),
        output_last_message=output_last_message,
        output_schema=output_schema,
        oss=oss,
        ephemeral=ephemeral,
        resume=resume,
        all_dirs=all_dirs,
        fork=fork,
        color=color,
        review=review,
    )
    from pycodex.cli.exec_run import run_exec

    sys.exit(run_exec(opts))

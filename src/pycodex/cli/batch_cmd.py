"""`pycodex batch`: many tasks at once, each like `pycodex exec`, locally or on Ray."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from pycodex.protocol.policies import AskForApproval, SandboxMode


def _resources(_ctx: click.Context, _param: click.Parameter, value: str | None) -> dict[str, float]:
    if not value:
        return {}
    try:
        obj = json.loads(value)
    except ValueError as e:
        raise click.BadParameter(f"not JSON: {e}") from None
    if not isinstance(obj, dict) or not all(
        isinstance(k, str) and isinstance(v, int | float) and not isinstance(v, bool)
        for k, v in obj.items()
    ):
        raise click.BadParameter('expected an object of numbers, like {"gpu_box": 1}')
    return {k: float(v) for k, v in obj.items()}


@click.command("batch", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("tasks_file", metavar="TASKS.jsonl", type=click.Path(path_type=Path))
@click.option("--out", "out", required=True, type=click.Path(path_type=Path),
              help="Output folder: DIR/<id>/ per task, DIR/results.jsonl.")
@click.option("-j", "--jobs", type=click.IntRange(min=1),
              help="Tasks at once (local default 4; ray default: as the cluster's resources allow).")
@click.option("--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True)
@click.option("--ray-address", help="A Ray cluster (host:port or ray://…); default: a local Ray.")
@click.option("--ray-num-cpus", type=click.FloatRange(min=0), default=1.0, show_default=True,
              help="CPUs each Ray task reserves.")
@click.option("--ray-resources", callback=_resources,
              help='Custom Ray resources per task, JSON: {"name": amount}.')
@click.option("--ray-max-retries", type=click.IntRange(min=0), default=3, show_default=True,
              help="Re-runs of a Ray task whose worker died.")
@click.option("--ray-env", multiple=True, metavar="NAME",
              help="Pass this environment variable of the driver to the Ray workers.")
@click.option("--timeout-sec", type=click.FloatRange(min=0, min_open=True),
              help="Per task: the turn is interrupted after this long (status timed_out).")
@click.option("--retries", type=click.IntRange(min=0), default=0, show_default=True,
              help="Run a failed or timed-out task again, up to this many times.")
@click.option("--plain", is_flag=True, help="Plain progress lines even on a terminal.")
@click.option("-m", "--model", help="Model for every task (a task's own \"model\" wins).")
@click.option("-c", "--config", "config", multiple=True, help="Override a config value: key=value (TOML).")
@click.option("-p", "--profile", help="Config profile to use.")
@click.option("-s", "--sandbox", type=click.Choice([m.value for m in SandboxMode]), help="Sandbox policy.")
@click.option("-a", "--ask-for-approval", "approval",
              type=click.Choice([a.value for a in AskForApproval]),
              help="When to ask before running commands (nobody answers: asked means declined).")
@click.option("--full-auto", is_flag=True, help="Sandboxed writes in the workspace, no prompts.")
@click.option("--dangerously-bypass-approvals-and-sandbox", "--yolo", "yolo", is_flag=True,
              help="No sandbox and no approvals. Only in an externally sandboxed environment.")
@click.option("--add-dir", multiple=True, type=click.Path(path_type=Path), help="Another writable root.")
@click.option("--output-schema", type=click.Path(path_type=Path), help="JSON Schema the final answers must follow.")
@click.option("--oss", is_flag=True, help="Use the local open-source model provider (Ollama).")
@click.option("--ephemeral", is_flag=True, help="Do not record the sessions.")
def batch_command(
    tasks_file: Path, out: Path, jobs: int | None, engine: str, ray_address: str | None,
    ray_num_cpus: float, ray_resources: dict[str, float], ray_max_retries: int, ray_env: tuple[str, ...],
    timeout_sec: float | None, retries: int, plain: bool, model: str | None,
    config: tuple[str, ...], profile: str | None, sandbox: str | None, approval: str | None,
    full_auto: bool, yolo: bool, add_dir: tuple[Path, ...], output_schema: Path | None, oss: bool,
    ephemeral: bool,
) -> None:
    """Run every task of TASKS.jsonl, each like `pycodex exec` in its own copy of its workspace.

    Each line: {"id": "...", "prompt": "...", "workspace": "<dir or git URL>"} and optionally
    "model", "config" (per-task -c overrides) and "images". Running the same command again
    skips completed tasks. Exit code: 0 all completed, 1 some did not, 2 bad input, 130 Ctrl-C.
    """
    from pycodex.batch.driver import BatchOptions, run_batch
    from pycodex.batch.ray_engine import RayOptions
    from pycodex.session.headless import HeadlessFlags

    if engine != "ray" and (ray_address or ray_resources or ray_env):
        raise click.UsageError("--ray-* options need --engine ray")
    opts = BatchOptions(
        tasks_file=tasks_file,
        out=out,
        flags=HeadlessFlags(
            model=model, config=list(config), profile=profile,
            sandbox=SandboxMode(sandbox) if sandbox else None,
            approval=AskForApproval(approval) if approval else None,
            full_auto=full_auto, yolo=yolo, add_dir=list(add_dir), oss=oss, ephemeral=ephemeral,
        ),
        jobs=jobs,
        engine=engine,
        timeout_s=timeout_sec,
        retries=retries,
        output_schema=output_schema,
        ray=RayOptions(address=ray_address, num_cpus=ray_num_cpus,
                       resources=ray_resources, max_retries=ray_max_retries,
                       env=list(ray_env)),
        display="plain" if plain else "auto",
    )
    sys.exit(run_batch(opts))

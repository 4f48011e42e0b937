"""`pycodex demo`: a real `pycodex exec` run end to end in a scratch workspace."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import click

DEMO_PROMPT = (
    "Look at the files here, then mark the todo in notes.txt as done and add hello.txt "
    "with a greeting. Tell me what you did."
)


def _workspace(root: Path) -> Path:
    ws = root / "workspace"
    ws.mkdir()
    (ws / "notes.txt").write_text("# Notes\ntodo: say hello\n")
    subprocess.run(["git", "init", "-q", str(ws)], check=True)
    return ws


def _exec(ws: Path, home: Path, extra: list[str]) -> int:
    argv = [sys.executable, "-m", "pycodex.cli.main", "exec", "--full-auto", "-C", str(ws), *extra, DEMO_PROMPT]
    env = {**os.environ, "PYCODEX_HOME": str(home)}
    click.echo(f"$ pycodex exec --full-auto -C {ws} {' '.join(extra)} {DEMO_PROMPT!r}", err=True)
    # stdin closed: exec would otherwise wait for (and append) whatever the caller's stdin holds.
    return subprocess.run(argv, env=env, check=False, stdin=subprocess.DEVNULL).returncode


@click.command("demo")
@click.option(
    "--model-server",
    type=click.Choice(["scripted", "openai"]),
    required=True,
    help="scripted: the bundled scripted model on 127.0.0.1; openai: the real API (OPENAI_API_KEY).",
)
@click.option("--keep", is_flag=True, help="Keep the scratch workspace.")
def demo_command(model_server: str, keep: bool) -> None:
    """Run pycodex on a scratch workspace: a command, a patch, an answer."""
    root = Path(tempfile.mkdtemp(prefix="pycodex-demo-"))
    home = root / "home"
    home.mkdir()
    ws = _workspace(root)
    try:
        if model_server == "scripted":
            from pycodex.testing.demo import demo_scenario
            from pycodex.testing.server import ScriptedModelServer

            click.echo("model: the bundled scripted model server (no API key used)", err=True)
            with ScriptedModelServer(demo_scenario()) as srv:
                (home / "config.toml").write_text(
                    'model = "gpt-5.5"\nmodel_provider = "scripted"\n'
                    "[model_providers.scripted]\n"
                    'name = "scripted demo model"\n'
                    f'base_url = "{srv.base_url}"\n'
                    'wire_api = "responses"\n'
                    "request_max_retries = 0\nstream_max_retries = 0\n"
                )
                code = _exec(ws, home, [])
        else:
            if not os.environ.get("OPENAI_API_KEY"):
                raise click.ClickException("--model-server openai needs OPENAI_API_KEY")
            click.echo("model: OpenAI (OPENAI_API_KEY)", err=True)
            code = _exec(ws, home, [])
        click.echo(f"\nworkspace after the run ({ws}):", err=True)
        for f in sorted(ws.iterdir()):
            if f.is_file():
                click.echo(f"--- {f.name}\n{f.read_text(errors='replace')}", err=True)
        sys.exit(code)
    finally:
        if not keep:
            shutil.rmtree(root, ignore_errors=True)

"""The `pycodex` console script: commands that need no CLI framework start here, the rest go
to the click group (`pycodex.cli.main`).

`pycodex apply-patch [PATCH]` imports only the patch engine (as Codex's `apply_patch` is a
small native start); anything else about it (`--help`, extra arguments) is parsed by click.
"""

from __future__ import annotations

import sys


def fast_path(argv: list[str]) -> int | None:
    """The exit code of a command run without click, or None when click must parse `argv`."""
    if argv[:1] == ["apply-patch"]:
        rest = argv[1:]
        if not rest or (len(rest) == 1 and not rest[0].startswith("-")):
            from pycodex.cli.apply_patch_run import run_apply_patch

            return run_apply_patch(rest[0] if rest else None)
    return None


_PLUGIN_LOADER = "pydantic.plugin._loader"


def skip_pydantic_plugins() -> None:
    """Make pydantic find no plugins in this process.

    pydantic looks for plugins when it builds its first validator: that imports
    importlib.metadata (with zipfile, email, csv, ...) and reads every installed package's
    metadata, ~30 ms of a 0.3 s `exec` here. pycodex's own processes use no pydantic plugin,
    so its loader is replaced by one that finds none. Any other name pydantic asks of the
    loader loads the real one. An application embedding pycodex keeps its plugins.
    """
    if _PLUGIN_LOADER in sys.modules:
        return
    import types

    stub = types.ModuleType(_PLUGIN_LOADER)

    def get_plugins() -> tuple[()]:
        return ()

    def real(name: str) -> object:
        if name.startswith("__"):  # the import system probing (`__path__`, ...)
            raise AttributeError(name)
        import importlib

        sys.modules.pop(_PLUGIN_LOADER, None)
        return getattr(importlib.import_module(_PLUGIN_LOADER), name)

    stub.get_plugins = get_plugins  # type: ignore[attr-defined]
    stub.__getattr__ = real  # type: ignore[method-assign]
    sys.modules[_PLUGIN_LOADER] = stub


def pause_collector_for_startup() -> None:
    """Pause the cyclic garbage collector while the process starts.

    Start-up allocates ~100,000 objects that all live until exit (modules, classes,
    validators): the collector would walk them again and again for nothing (~15 ms of a 0.3 s
    `exec`, ~40 ms of the app-server's first turn). `end_startup_pause` resumes it.
    """
    import gc

    gc.disable()


def end_startup_pause() -> None:
    """Start-up is over: what it built leaves the collector's sight (`gc.freeze`), and the
    collector resumes for what the work allocates. Only pycodex's own commands call this, so
    a paused collector is theirs (kept as state of the gc module, not of this one: the entry
    may also run as `__main__`, a second copy of this module)."""
    import gc

    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def main() -> None:
    """Console-script entry point."""
    code = fast_path(sys.argv[1:])
    if code is not None:
        sys.exit(code)
    skip_pydantic_plugins()
    exec_run = sys.argv[1:2] in (["exec"], ["e"])
    if exec_run or sys.argv[1:2] == ["app-server"]:
        pause_collector_for_startup()
    from pycodex.cli.main import main as click_main

    if not exec_run:
        click_main()
        return
    try:
        click_main()
    except SystemExit as e:
        _leave(e.code)


def _leave(code: str | int | None) -> None:
    """End an `exec` run without tearing the interpreter down.

    By now the session has shut down: the rollout is synced and closed, the event loop and its
    worker threads are gone, every command is dead. What is left is freeing ~100,000 objects
    one by one (~10 ms here), which the operating system does at once. The exit handlers still
    run (and the standard streams are flushed) first; while any other thread is alive, the
    ordinary exit is taken.
    """
    import atexit
    import os
    import threading

    if threading.active_count() > 1:
        sys.exit(code)  # something still runs (a second Ctrl-C): the ordinary exit waits for it
    status = code if isinstance(code, int) else (0 if code is None else 1)
    if code is not None and not isinstance(code, int):
        print(code, file=sys.stderr)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            status = status or 1  # output lost (a closed pipe): say so in the status
    os._exit(status)


if __name__ == "__main__":
    main()

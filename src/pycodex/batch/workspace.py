"""A task's isolated workspace: a detached worktree, a clone or a copy; its diff (blocking I/O).

Every git command here runs outside any sandbox, so no repository may steer it: no system or
global config, hooks off, fsmonitor off, and every filter driver the repository's own config
defines is disabled (a `.gitattributes` written by the agent could otherwise name one). The
source workspace is only read: a worktree's new objects for the diff go to a private store.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pycodex.batch.tasks import is_git_url


class WorkspaceError(Exception):
    """A workspace could not be prepared or diffed (one line, for result.json)."""


class Cancel:
    """Stops, from another thread, the git command a preparation runs (a clone may hang on
    the network for ever): its whole process group is killed, and no later one starts."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self.cancelled = False

    def cancel(self) -> None:
        """Kill the running git command, if any; refuse the next ones."""
        with self._lock:
            self.cancelled = True
            if self._proc is not None and self._proc.poll() is None:
                try:
                    os.killpg(self._proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

    def run(self, argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
        """Run argv in a process group of its own, as `subprocess.run` with output captured."""
        with self._lock:
            if self.cancelled:
                raise WorkspaceError("cancelled")
            self._proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                          stderr=subprocess.PIPE, start_new_session=True)
        out, err = self._proc.communicate()
        if self.cancelled:
            raise WorkspaceError("cancelled")
        return subprocess.CompletedProcess(argv, self._proc.returncode, out, err)


# Overrides for knobs a repository's config could use to run a program.
_SAFE = (
    "-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false",
    "-c", "core.untrackedCache=false", "-c", "gc.auto=0", "-c", "maintenance.auto=false",
    "-c", "core.pager=cat", "-c", "diff.external=", "-c", "advice.detachedHead=false",
)


def _isolated_env(home: bool = False) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LC_ALL": "C",
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_ATTR_NOSYSTEM": "1",
    }
    if home:  # a clone of a URL may need the user's own credentials and ssh keys
        for key in ("HOME", "SSH_AUTH_SOCK", "GIT_SSH_COMMAND", "XDG_CONFIG_HOME"):
            if key in os.environ:
                env[key] = os.environ[key]
    else:
        env.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull, HOME=os.devnull)
    return env


def _git(*args: str | Path, env: dict[str, str] | None = None, check: bool = True,
         user_config: bool = False, cancel: Cancel | None = None) -> subprocess.CompletedProcess[bytes]:
    full_env = _isolated_env(user_config)
    full_env.update(env or {})
    argv = ["git", *_SAFE, *map(str, args)]
    if cancel is not None:
        proc = cancel.run(argv, full_env)
    else:
        proc = subprocess.run(argv, env=full_env, capture_output=True, stdin=subprocess.DEVNULL, check=False)
    if check and proc.returncode != 0:
        err = " ".join(proc.stderr.decode("utf-8", "replace").split())
        raise WorkspaceError(f"git {_subcommand(args)} failed: {err or f'exit {proc.returncode}'}")
    return proc


def _subcommand(args: tuple[str | Path, ...]) -> str:
    """The git subcommand among the arguments (options and their values skipped)."""
    skip = False
    for arg in map(str, args):
        if skip:
            skip = False
        elif arg in ("-C", "-c", "--git-dir", "--work-tree"):
            skip = True
        elif not arg.startswith("-"):
            return arg
    return "command"


def _filters_off(*where: str | Path) -> list[str]:
    """`-c` overrides that disable every filter driver the repository's config defines."""
    proc = _git(*where, "config", "--includes", "--name-only", "--get-regexp", r"^filter\.",
                check=False)
    names = set()
    for line in proc.stdout.decode("utf-8", "replace").splitlines():
        name, _, _key = line.removeprefix("filter.").rpartition(".")
        if name:
            names.add(name)
    out: list[str] = []
    for name in sorted(names):
        for key in ("clean", "smudge", "process"):
            out += ["-c", f"filter.{name}.{key}="]
        out += ["-c", f"filter.{name}.required=false"]
    return out


@dataclass
class Workspace:
    """Where a task runs, and what its diff is taken against."""

    root: Path  # DIR/<id>/workspace
    cwd: Path  # the session's cwd: root, or the repository subdirectory the task named
    kind: str  # "worktree" | "clone" | "copy"
    where: tuple[str, ...]  # git arguments that name the repository and its work tree
    base: str  # the commit (worktree, clone) or tree (copy) the task started from
    scratch: Path  # private: the diff's index (and a worktree's new objects)
    alternates: Path | None = None  # a worktree's source object store (read only)


def _repo_of(source: Path) -> tuple[Path, str] | None:
    """(top level, subdirectory prefix) when `source` is in a git repository with a commit."""
    proc = _git("-C", source, "rev-parse", "--show-toplevel", "--show-prefix", check=False)
    if proc.returncode != 0:
        return None
    lines = proc.stdout.decode("utf-8", "surrogateescape").split("\n")
    if len(lines) < 2 or not lines[0]:
        return None
    if _git("-C", source, "rev-parse", "--verify", "-q", "HEAD", check=False).returncode != 0:
        return None  # no commit yet: nothing to check out, so it is copied
    return Path(lines[0]), lines[1]


def is_repository(source: Path) -> bool:
    """Whether `source` would become a worktree (it is in a repository with a commit)."""
    return _repo_of(source) is not None


def prepare(source: str, root: Path, scratch: Path, cancel: Cancel | None = None) -> Workspace:
    """Make the task's workspace at `root` from `source` (a path or a git URL); `cancel` stops
    a clone."""
    scratch.mkdir(parents=True, exist_ok=True)
    root.parent.mkdir(parents=True, exist_ok=True)
    if is_git_url(source):
        return _clone(source, root, scratch, cancel)
    src = Path(source)
    if not src.is_dir():
        raise WorkspaceError(f"workspace {source} is not a directory")
    repo = _repo_of(src)
    if repo is None:
        return _copy(src, root, scratch)
    return _worktree(repo[0], repo[1], root, scratch)


@contextlib.contextmanager
def _repository_lock(common: Path) -> Iterator[None]:
    """Hold the repository's git directory while its worktree list changes.

    Every task's worktree is `<DIR>/<id>/workspace`, so git names each entry `workspace`,
    `workspace1`, ... and two `worktree add`s at once (tasks side by side, threads or Ray
    workers) race for the same name ("failed to read .git/worktrees/workspace98/commondir").
    An flock on the directory itself serialises them across processes and creates no file.
    """
    try:
        fd = os.open(common, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        yield  # git reports what is wrong with it
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def _worktree(top: Path, prefix: str, root: Path, scratch: Path) -> Workspace:
    off = _filters_off("-C", top)
    source_common = _git("-C", top, "rev-parse", "--path-format=absolute", "--git-common-dir")
    # --force: an earlier run's worktree at this path may still be registered although its
    # folder was deleted (`rm -rf DIR`); `root` itself never exists here.
    with _repository_lock(Path(source_common.stdout.decode().strip())):
        _git("-C", top, *off, "worktree", "add", "--quiet", "--force", "--detach", root, "HEAD")
    base = _git("-C", root, "rev-parse", "HEAD").stdout.decode().strip()
    common = _git("-C", root, "rev-parse", "--path-format=absolute", "--git-common-dir")
    cwd = root / prefix if prefix else root
    if not cwd.is_dir():
        raise WorkspaceError(f"{top / prefix} is not in the repository's HEAD commit")
    return Workspace(root=root, cwd=cwd, kind="worktree", where=("-C", str(root)), base=base,
                     scratch=scratch,
                     alternates=Path(common.stdout.decode().strip()) / "objects")


def _clone(url: str, root: Path, scratch: Path, cancel: Cancel | None) -> Workspace:
    _git("clone", "--quiet", "--template=", url, root, user_config=True, cancel=cancel)
    base = _git("-C", root, "rev-parse", "HEAD").stdout.decode().strip()
    return Workspace(root=root, cwd=root, kind="clone", where=("-C", str(root)), base=base,
                     scratch=scratch)


def _copy(src: Path, root: Path, scratch: Path) -> Workspace:
    try:
        shutil.copytree(src, root, symlinks=True)
    except (OSError, shutil.Error) as e:
        raise WorkspaceError(f"cannot copy {src}: {_first(e)}") from e
    git_dir = scratch / "base.git"
    _git("init", "--quiet", "--bare", "--template=", git_dir)
    where = ("--git-dir", str(git_dir), "--work-tree", str(root))
    index = {"GIT_INDEX_FILE": str(scratch / "base.index")}
    _git(*where, "add", "-A", env=index)
    tree = _git(*where, "write-tree", env=index).stdout.decode().strip()
    return Workspace(root=root, cwd=root, kind="copy", where=where, base=tree, scratch=scratch)


def _first(e: BaseException) -> str:
    if isinstance(e, shutil.Error) and e.args and isinstance(e.args[0], list) and e.args[0]:
        first = e.args[0][0]
        return f"{first[0]}: {first[2]}" if len(first) == 3 else str(first)
    return str(e)


def diff(ws: Workspace) -> bytes:
    """The workspace's changes since it was made, untracked files included (ignored ones not)."""
    env = {"GIT_INDEX_FILE": str(ws.scratch / "diff.index")}
    if ws.alternates is not None:  # hash new files into a private store, not the source's
        objects = ws.scratch / "objects"
        objects.mkdir(exist_ok=True)
        env.update(GIT_OBJECT_DIRECTORY=str(objects),
                   GIT_ALTERNATE_OBJECT_DIRECTORIES=str(ws.alternates))
    off = _filters_off(*ws.where)
    Path(env["GIT_INDEX_FILE"]).unlink(missing_ok=True)
    _git(*ws.where, "read-tree", ws.base, env=env)
    _git(*ws.where, *off, "add", "-A", env=env)
    out = _git(*ws.where, *off, "diff", "--cached", "--binary", "--no-color", "--no-ext-diff",
               "--no-textconv", "--src-prefix=a/", "--dst-prefix=b/", ws.base, env=env)
    return out.stdout


def remove(root: Path) -> None:
    """Remove an earlier attempt's workspace (its worktree entry too, when it was one)."""
    dot_git = root / ".git"
    if dot_git.is_file():
        text = dot_git.read_text(encoding="utf-8", errors="replace").strip()
        gitdir = Path(text.removeprefix("gitdir:").strip())
        common = gitdir.parent.parent  # <repo>/.git/worktrees/<name> → <repo>/.git
        with _repository_lock(common):
            _git("--git-dir", common, "worktree", "remove", "--force", "--force", root, check=False)
    if root.exists() or root.is_symlink():
        shutil.rmtree(root, ignore_errors=True)

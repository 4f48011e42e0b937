"""AGENTS.md discovery: from the repository root down to the working directory."""

from __future__ import annotations

from pathlib import Path

DOC_NAMES = ("AGENTS.override.md", "AGENTS.md")
SEPARATOR = "\n\n--- project-doc ---\n\n"


# A `.git` file is one line; read no more than this of it.
_GITDIR_FILE_MAX_BYTES = 4096


def find_git_root(cwd: Path) -> Path | None:
    """The nearest ancestor (or cwd) that is the top of a real git repository."""
    for d in (cwd, *cwd.parents):
        if is_repository_root(d):
            return d
    return None


def is_repository_root(d: Path) -> bool:
    """Whether `d/.git` is a repository: a directory with HEAD, objects/ and refs/, or a gitdir file."""
    dot_git = d / ".git"
    try:
        if dot_git.is_dir():
            # Sandboxes (Codex's bubblewrap among them) leave empty `.git` directories behind.
            return (
                (dot_git / "HEAD").is_file()
                and (dot_git / "objects").is_dir()
                and (dot_git / "refs").is_dir()
            )
        if dot_git.is_file():
            return _gitdir_target(dot_git) is not None
    except OSError:
        return False
    return False


def _gitdir_target(dot_git_file: Path) -> Path | None:
    # Worktrees and submodules: `gitdir: <path>`, relative paths from the file's directory.
    with dot_git_file.open("rb") as f:
        head = f.read(_GITDIR_FILE_MAX_BYTES)
    first = head.decode("utf-8", errors="replace").splitlines()[:1]
    if not first or not first[0].startswith("gitdir:"):
        return None
    raw = first[0][len("gitdir:"):].strip()
    if not raw:
        return None
    target = dot_git_file.parent / raw  # an absolute raw path replaces the parent
    return target if target.is_dir() else None


def project_doc_paths(cwd: Path) -> list[Path]:
    """The AGENTS.md files that apply to cwd, outermost first; an override wins per dir."""
    root = find_git_root(cwd)
    dirs = [cwd]
    if root is not None:
        dirs = [d for d in reversed([cwd, *cwd.parents]) if d == root or root in d.parents]
    found: list[Path] = []
    for d in dirs:
        for name in DOC_NAMES:
            p = d / name
            if p.is_file():
                found.append(p)
                break
    return found


def read_project_docs(cwd: Path, max_bytes: int) -> str | None:
    """The concatenated project docs, capped at max_bytes (0 disables them)."""
    if max_bytes <= 0:
        return None
    parts: list[str] = []
    budget = max_bytes
    for p in project_doc_paths(cwd):
        try:
            data = p.read_bytes()[:budget]
        except OSError:
            continue
        text = data.decode("utf-8", errors="replace").strip()
        if text:
            parts.append(text)
        budget -= len(data)
        if budget <= 0:
            break
    return "\n\n".join(parts) or None


def compose_user_instructions(global_text: str | None, project_text: str | None) -> str | None:
    """Global instructions and project docs as one text, as Codex combines them."""
    g = (global_text or "").strip()
    p = (project_text or "").strip()
    if g and p:
        return f"{g}{SEPARATOR}{p}"
    return g or p or None

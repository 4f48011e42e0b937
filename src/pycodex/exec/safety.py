"""Command safety: known-safe read-only commands and dangerous ones (pure)."""

from __future__ import annotations

from collections.abc import Sequence

from pycodex.shell_parse.bash import parse_word_commands, shell_script

# Commands that only read and print, whatever their arguments (redirections and expansions
# are refused by the parser before a command gets here).
ALWAYS_SAFE = frozenset(
    {"cat", "cd", "echo", "false", "grep", "head", "ls", "nl", "pwd", "tail", "true", "wc",
     "which", "whoami", "uname", "stat", "basename", "dirname", "realpath", "printenv", "id",
     "du", "df", "cut", "tr", "diff", "cmp", "seq"}
)
# Readers with argument forms that write a file or run a program.
FIND_UNSAFE = frozenset(
    {"-exec", "-execdir", "-ok", "-okdir", "-delete", "-fls", "-fprint", "-fprint0", "-fprintf"}
)
RG_UNSAFE = ("--search-zip", "-z", "--pre", "--hostname-bin")
GIT_READ_ONLY = frozenset({"status", "log", "diff", "show", "branch", "rev-parse", "ls-files", "blame"})
GIT_UNSAFE = ("--output", "-o", "--ext-diff", "--textconv")
SORT_UNSAFE = ("-o", "--output", "-T", "--temporary-directory", "--compress-program")
TREE_UNSAFE = ("-o", "-R", "--output", "--fromfile")
FILE_UNSAFE = ("-C", "--compile")
DATE_UNSAFE = ("-s", "--set")


def _name(argv: Sequence[str]) -> str:
    return argv[0].rsplit("/", 1)[-1] if argv else ""


def _has_option(args: Sequence[str], options: Sequence[str]) -> bool:
    """Whether any argument is one of `options`, also as `--opt=value` or a glued `-oFILE`."""
    for a in args:
        if a == "--":
            return False
        for o in options:
            if a == o or (o.startswith("--") and a.startswith(o + "=")):
                return True
            if len(o) == 2 and a.startswith("-") and not a.startswith("--") and o[1] in a[1:]:
                return True  # short flags bundled or glued: -no, -oout.txt
    return False


def _positionals(args: Sequence[str]) -> list[str]:
    return [a for a in args if not a.startswith("-") or a == "-"]


def _is_safe_single(argv: Sequence[str], allow_git: bool = True) -> bool:
    name = _name(argv)
    args = list(argv[1:])
    if name in ALWAYS_SAFE:
        return True
    if name == "sort":
        return not _has_option(args, SORT_UNSAFE)
    if name == "tree":
        return not _has_option(args, TREE_UNSAFE)
    if name == "file":
        return not _has_option(args, FILE_UNSAFE)
    if name == "date":
        return not _has_option(args, DATE_UNSAFE)
    if name == "uniq":
        return len(_positionals(args)) <= 1  # `uniq IN OUT` writes OUT
    if name == "find":
        return not any(a in FIND_UNSAFE for a in args)
    if name == "rg":
        return not any(a == u or a.startswith(u + "=") for a in args for u in RG_UNSAFE)
    if name == "git" and args and allow_git:
        sub = args[0]
        if sub not in GIT_READ_ONLY:
            return False
        if sub == "branch":
            return all(a in ("-a", "-r", "-v", "-vv", "--list", "--show-current", "--all") for a in args[1:])
        return not _has_option(args[1:], GIT_UNSAFE)
    if name == "sed":
        # Only `sed -n Np FILE` / `sed -n M,Np FILE`.
        if len(args) == 3 and args[0] == "-n":
            expr = args[1]
            body = expr[:-1]
            return expr.endswith("p") and all(part.isdigit() for part in body.split(",")) and 1 <= len(body.split(",")) <= 2
        return False
    return False


def is_known_safe_command(argv: Sequence[str], allow_git: bool = True) -> bool:
    """Whether a command only reads (every command of a plain bash chain, too).

    This decides that no approval is needed, never that the sandbox can be skipped. Read-only
    git is known safe only with `allow_git`: a repository's own config can make git run
    programs (`core.fsmonitor`, textconv), so without a sandbox it is not safe.
    """
    script = shell_script(list(argv))
    if script is not None:
        commands = parse_word_commands(script)
        return commands is not None and all(_is_safe_single(c, allow_git) for c in commands)
    return _is_safe_single(argv, allow_git)


def _is_dangerous_single(argv: Sequence[str]) -> bool:
    name = _name(argv)
    args = list(argv[1:])
    if name == "sudo" or name == "doas":
        return True
    if name == "rm":
        flags = "".join(a.lstrip("-") for a in args if a.startswith("-") and not a.startswith("--"))
        recursive = "r" in flags or "R" in flags or "--recursive" in args
        force = "f" in flags or "--force" in args
        targets = [a for a in args if not a.startswith("-")]
        broad = any(t in ("/", "/*", "~", "~/", "*", ".", "..", "$HOME") or (t.startswith("/") and t.count("/") <= 1) for t in targets)
        return recursive and (force or broad)
    if name == "git" and args:
        sub, rest = args[0], args[1:]
        if sub == "reset" and "--hard" in rest:
            return True
        if sub == "push" and any(a in ("-f", "--force", "--force-with-lease", "--mirror", "--delete", "-d") or a.startswith("--force") or a.startswith("+") for a in rest):
            return True
        if sub == "clean" and any(a.startswith("-") and "f" in a for a in rest):
            return True
        if sub == "checkout" and ("--" in rest or "." in rest):
            return True
        if sub == "branch" and any(a in ("-D",) for a in rest):
            return True
    if name.startswith("mkfs") or name in ("shred", "wipefs", "fdisk", "sfdisk", "parted"):
        return True
    if name == "dd" and any(a.startswith("of=/dev/") for a in args):
        return True
    return name in ("chmod", "chown") and any(a in ("-R", "--recursive") for a in args) and "/" in args


def is_dangerous_command(argv: Sequence[str]) -> bool:
    """Whether a command can destroy data or history (judged across a bash chain)."""
    script = shell_script(list(argv))
    if script is not None:
        commands = parse_word_commands(script)
        if commands is None:
            # Unparsable scripts are not safe, but only flagged dangerous on clear markers.
            lowered = script.replace("\\\n", " ")
            return any(m in lowered for m in ("rm -rf /", "rm -rf ~", ":(){", "git push --force", "git reset --hard", "mkfs"))
        return any(_is_dangerous_single(c) for c in commands)
    return _is_dangerous_single(argv)

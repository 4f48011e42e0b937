"""Known-safe and dangerous commands: the full table, judged through the bash parser."""

from __future__ import annotations

import pytest

from pycodex.exec.safety import is_dangerous_command, is_known_safe_command


def bash(s: str) -> list[str]:
    return ["bash", "-lc", s]


SAFE = [
    ["ls"], ["ls", "-la"], ["cat", "a.txt"], ["head", "-n", "5", "f"], ["tail", "f"], ["wc", "-l", "f"],
    ["grep", "-n", "x", "f"], ["pwd"], ["echo", "hi"], ["true"], ["which", "python"], ["nl", "f"],
    ["find", ".", "-name", "*.py"], ["rg", "TODO"], ["rg", "-n", "x", "src"],
    ["git", "status"], ["git", "log", "--oneline"], ["git", "diff"], ["git", "show", "HEAD"], ["git", "branch"],
    ["git", "branch", "-a"], ["sed", "-n", "10p", "f"], ["sed", "-n", "1,20p", "f"],
    bash("ls && cat a.txt"), bash("git status; git diff | head -n 20"), bash("rg foo || echo none"),
    bash("grep -n 'a b' file | wc -l"), bash("cat \"quoted name.txt\""), ["/usr/bin/ls", "-l"], ["sort", "f"],
    ["sort", "-k2", "-n", "f"], ["uniq", "f"], ["uniq", "-c"], ["tree", "-L", "2"], ["file", "a.bin"],
    ["date"], ["date", "+%s"], ["git", "log", "--oneline", "-n", "5"], ["git", "diff", "--stat"],
]
# Readers excluded because an argument form writes a file or runs a program; one row per form.
WRITER_FORMS = [
    ["cargo", "check"],  # runs build scripts and proc macros
    ["sort", "-o", "out", "f"], ["sort", "--output=out", "f"], ["sort", "-nro", "out", "f"],  # writes out
    ["sort", "-T", "dir", "f"], ["sort", "--temporary-directory=dir", "f"],  # writes temp files in dir
    ["sort", "--compress-program=sh", "f"],  # runs a program
    ["uniq", "in", "out"],  # the second operand is an output file
    ["tree", "-o", "out"], ["tree", "--output=out"], ["tree", "-R", "-H", "x"],  # writes 00Tree.html files
    ["file", "-C", "-m", "magic"], ["file", "--compile"],  # writes magic.mgc
    ["date", "-s", "2020-01-01"], ["date", "--set=2020-01-01"],  # sets the clock
    ["git", "log", "--output=out"], ["git", "diff", "-o", "out"],  # writes out
    ["git", "diff", "--ext-diff"], ["git", "log", "-p", "--textconv"],  # run configured programs
    ["git", "-c", "core.pager=sh", "log"], ["git", "-C", "dir", "status"],  # options before the subcommand
    ["rg", "--pre=sh", "x"], ["rg", "--hostname-bin=sh", "x"],  # run a program
    ["find", ".", "-fprintf", "out", "%p"], ["find", ".", "-fls", "out"], ["find", ".", "-okdir", "rm", ";"],
    bash("sort -o out f"), bash("ls && uniq a b"),  # the same forms inside a script
]
NOT_SAFE = [
    ["rm", "f"], ["touch", "f"], ["python", "x.py"], ["find", ".", "-delete"], ["find", ".", "-exec", "rm", "{}", ";"],
    ["find", ".", "-fprint", "out"], ["rg", "--pre", "sh", "x"], ["rg", "-z", "x"], ["rg", "--search-zip", "x"],
    ["git", "commit", "-m", "x"], ["git", "push"], ["git", "branch", "-d", "x"], ["git", "checkout", "main"],
    ["sed", "-i", "s/a/b/", "f"], ["sed", "-n", "1p"], ["sed", "-n", "p;w out", "f"], ["sort", "-o", "f", "f"],
    bash("ls > out.txt"), bash("cat $(echo f)"), bash("echo `id`"), bash("ls && rm -rf x"), bash("echo $HOME"),
    bash("(ls)"), bash("FOO=1 ls"), bash("ls &"), bash("cat <<EOF\nx\nEOF"), bash("ls ("), ["bash", "-c"],
    ["npm", "install"], ["curl", "http://x"], ["make"],
]
DANGEROUS = [
    ["rm", "-rf", "/"], ["rm", "-rf", "~"], ["rm", "-fr", "*"], ["rm", "-r", "-f", "build"], ["sudo", "ls"],
    ["git", "reset", "--hard"], ["git", "reset", "--hard", "HEAD~3"], ["git", "push", "--force"],
    ["git", "push", "-f", "origin", "main"], ["git", "push", "origin", "+main"], ["git", "clean", "-fd"],
    ["git", "checkout", "--", "."], ["git", "branch", "-D", "feature"], ["mkfs.ext4", "/dev/sda1"],
    ["dd", "if=/dev/zero", "of=/dev/sda"], ["chmod", "-R", "777", "/"], bash("cd /tmp && rm -rf /"),
    bash("ls; git push --force origin main"), bash("echo $(rm -rf /)"),
]
NOT_DANGEROUS = [["rm", "f.txt"], ["rm", "-r", "build"], ["git", "push"], ["git", "reset", "--soft", "HEAD~1"],
                 ["ls", "-rf"], bash("git status && git diff")]


@pytest.mark.parametrize("argv", SAFE, ids=[" ".join(a)[:40] for a in SAFE])
def test_known_safe(argv: list[str]) -> None:
    assert is_known_safe_command(argv)


@pytest.mark.parametrize("argv", NOT_SAFE, ids=[" ".join(a)[:40] for a in NOT_SAFE])
def test_not_known_safe(argv: list[str]) -> None:
    assert not is_known_safe_command(argv)


@pytest.mark.parametrize("argv", WRITER_FORMS, ids=[" ".join(a)[:40] for a in WRITER_FORMS])
def test_writer_forms_are_not_known_safe(argv: list[str]) -> None:
    assert not is_known_safe_command(argv)


def test_git_is_not_known_safe_without_a_sandbox() -> None:
    # A repository's config (core.fsmonitor, textconv) can make read-only git run a program.
    assert is_known_safe_command(["git", "status"])
    assert not is_known_safe_command(["git", "status"], allow_git=False)
    assert not is_known_safe_command(bash("ls && git status"), allow_git=False)
    assert is_known_safe_command(bash("ls && cat f"), allow_git=False)


@pytest.mark.parametrize("argv", DANGEROUS, ids=[" ".join(a)[:40] for a in DANGEROUS])
def test_dangerous(argv: list[str]) -> None:
    assert is_dangerous_command(argv)


@pytest.mark.parametrize("argv", NOT_DANGEROUS, ids=[" ".join(a)[:40] for a in NOT_DANGEROUS])
def test_not_dangerous(argv: list[str]) -> None:
    assert not is_dangerous_command(argv)


def test_table_is_large() -> None:
    assert len(SAFE) + len(NOT_SAFE) + len(DANGEROUS) + len(NOT_DANGEROUS) >= 60

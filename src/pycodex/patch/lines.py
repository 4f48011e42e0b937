"""Lines with their own endings: a mixed CRLF/LF file keeps every ending the patch leaves alone.

Rules for the endings of lines a patch writes (pure functions, no I/O):
- an unchanged line (context, or outside every chunk) keeps its own ending;
- a new line that replaces an old one takes the ending of the old line it replaces (the k-th
  new line of a replaced block takes the k-th old line's, the extra ones the block's last);
- a pure insertion takes the ending of the line just above it, or of the line just below it
  when it goes at the very top;
- where that line has no ending (the file's unterminated last line), the file's own style is
  used: the ending of its first terminated line (LF for a file with none), as Codex, rustfmt
  and Ruff pick it;
- an updated file always ends with a line ending, as Codex writes it (an unterminated last
  line gets the file's style).
"""

from __future__ import annotations

from collections.abc import Sequence

LF, CRLF = "\n", "\r\n"
NONE = ""  # the unterminated last line


def split_lines(text: str) -> tuple[list[str], list[str]]:
    """The lines without their endings, and each line's ending (`\\n`, `\\r\\n` or "")."""
    # Most files have no "\r" at all: a memchr-speed `in` spares counting every "\r\n".
    crlfs = text.count("\r\n") if "\r" in text else 0
    if crlfs == 0 or crlfs == text.count("\n"):  # one style throughout: split in C, no per-line work
        sep = LF if crlfs == 0 else CRLF
        lines = text.split(sep)
        tail = lines.pop()
        endings = [sep] * len(lines)
        if tail:
            lines.append(tail)
            endings.append(NONE)
        return lines, endings
    parts = text.split("\n")
    last = parts.pop()  # after the final "\n" ("" when the text ends with one)
    lines = []
    endings = []
    for part in parts:
        if part.endswith("\r"):
            lines.append(part[:-1])
            endings.append(CRLF)
        else:
            lines.append(part)
            endings.append(LF)
    if last:
        lines.append(last)
        endings.append(NONE)
    return lines, endings


def file_style(endings: Sequence[str]) -> str:
    """The ending of the first terminated line; LF when there is none."""
    return next((e for e in endings if e), LF)


def neighbour_ending(endings: Sequence[str], at: int, style: str) -> str:
    """The ending for lines inserted before index `at`: the line above's, else the line below's."""
    if at > 0:
        return endings[at - 1] or style
    if at < len(endings):
        return endings[at] or style
    return style


def merge_block(
    matched: Sequence[str],
    matched_endings: Sequence[str],
    old: Sequence[str],
    new: Sequence[str],
    above: str,
    style: str,
) -> tuple[list[str], list[str]]:
    """The new lines of one chunk and their endings, context lines kept as the file has them.

    `matched` are the file's lines the chunk's `old` lines were found at (leniently, so a
    context line may differ in whitespace or quotes: it is not rewritten); `above` is the
    ending of the file's line before the block ("" at the top).
    """
    uniform = _uniform_ending(matched_endings)
    if uniform and (above in (NONE, uniform)) and list(matched) == list(old):
        # Found exactly, one ending throughout: every rule below gives that ending, so the
        # diff of the block is not needed (most chunks of a real patch).
        return list(new), [uniform] * len(new)
    import difflib  # only here: the `apply-patch` process rarely needs it

    out: list[str] = []
    ends: list[str] = []
    ops = difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes()
    for tag, i1, i2, j1, j2 in ops:
        if tag == "equal":
            out.extend(matched[i1:i2])
            ends.extend(e or style for e in matched_endings[i1:i2])
        elif tag == "replace":
            for k in range(j2 - j1):
                out.append(new[j1 + k])
                ends.append(matched_endings[i1 + min(k, i2 - i1 - 1)] or style)
        elif tag == "insert":
            out.extend(new[j1:j2])
            if i1 > 0:
                ending = matched_endings[i1 - 1]
            elif above:
                ending = above
            else:
                ending = matched_endings[i1] if i1 < len(matched_endings) else style
            ends.extend([ending or style] * (j2 - j1))
    return out, ends


def _uniform_ending(endings: Sequence[str]) -> str:
    """The one ending every line has, or "" when they differ or one is unterminated."""
    first = endings[0] if endings else NONE
    return first if first and endings.count(first) == len(endings) else NONE


def join_lines(lines: Sequence[str], endings: list[str], style: str) -> str:
    """The text of the lines, every one terminated (an unterminated one gets `style`)."""
    if not lines:
        return ""
    same = endings.count(style)
    if same == len(endings) or (same == len(endings) - 1 and endings[-1] == NONE):
        return style.join(lines) + style  # one style throughout: join in C
    return "".join(line + (end or style) for line, end in zip(lines, endings, strict=True))

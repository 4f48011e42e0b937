"""The apply_patch grammar, parsed leniently the way models write it."""

from __future__ import annotations

from pycodex.patch.model import AddFile, DeleteFile, Hunk, Patch, UpdateChunk, UpdateFile

BEGIN = "*** Begin Patch"
END = "*** End Patch"
ADD = "*** Add File: "
DELETE = "*** Delete File: "
UPDATE = "*** Update File: "
MOVE = "*** Move to: "
EOF_MARK = "*** End of File"


class PatchParseError(ValueError):
    """The patch text is not a valid patch; `line_number` is 1-based."""

    def __init__(self, message: str, line_number: int | None = None) -> None:
        super().__init__(message if line_number is None else f"line {line_number}: {message}")
        self.message = message
        self.line_number = line_number


def _strip_heredoc(lines: list[str]) -> list[str]:
    # `<<'EOF'` ... `EOF` wrapped around the patch (models put the heredoc inside argv).
    if len(lines) >= 4 and lines[0].strip() in ("<<EOF", "<<'EOF'", '<<"EOF"') and lines[-1].strip().endswith("EOF"):
        return lines[1:-1]
    return lines


def parse_patch(text: str) -> Patch:
    """Parse patch text; raises PatchParseError with Codex's messages."""
    lines = _strip_heredoc(text.strip().split("\n"))
    lines = [ln[:-1] if ln.endswith("\r") else ln for ln in lines]
    if not lines or lines[0].strip() != BEGIN:
        raise PatchParseError(f"The first line of the patch must be '{BEGIN}'", 1)
    if lines[-1].strip() != END:
        raise PatchParseError(f"The last line of the patch must be '{END}'", len(lines))
    body = lines[1:-1]
    hunks: list[Hunk] = []
    i = 0
    while i < len(body):
        line = body[i].strip()
        ln = i + 2
        if not line:
            i += 1
            continue
        if line.startswith(ADD):
            path = line[len(ADD):].strip()
            i += 1
            content: list[str] = []
            while i < len(body) and body[i].startswith("+"):
                content.append(body[i][1:])
                i += 1
            # No `+` lines: an empty file, as Codex creates it.
            hunks.append(AddFile(path, "".join(c + "\n" for c in content)))
        elif line.startswith(DELETE):
            hunks.append(DeleteFile(line[len(DELETE):].strip()))
            i += 1
        elif line.startswith(UPDATE):
            path = line[len(UPDATE):].strip()
            i += 1
            move = None
            if i < len(body) and body[i].strip().startswith(MOVE):
                move = body[i].strip()[len(MOVE):].strip()
                i += 1
            chunks, i = _parse_chunks(body, i, path)
            if not chunks:
                raise PatchParseError(f"Update file hunk for path '{path}' is empty", ln)
            hunks.append(UpdateFile(path, move, tuple(chunks)))
        else:
            raise PatchParseError(
                f"'{line}' is not a valid hunk header. Valid hunk headers: '*** Add File: {{path}}', "
                "'*** Delete File: {path}', '*** Update File: {path}'",
                ln,
            )
    return Patch(tuple(hunks))


def _is_header(line: str) -> bool:
    return line.strip() == "@@" or line.startswith("@@ ")


def _parse_chunks(body: list[str], i: int, path: str) -> tuple[list[UpdateChunk], int]:
    chunks: list[UpdateChunk] = []
    while i < len(body):
        stripped = body[i].strip()
        if stripped.startswith("***") and stripped != EOF_MARK:
            break  # the next hunk
        context: list[str] = []
        saw_header = False
        while i < len(body) and _is_header(body[i]):
            saw_header = True
            header = body[i].strip()
            if header != "@@":
                context.append(header[3:])
            i += 1
        if not saw_header and chunks:
            if body[i].strip() == "":
                i += 1  # blank separator between chunks
                continue
            raise PatchParseError(
                f"Expected update hunk to start with a @@ context marker, got: '{body[i]}'", i + 2
            )
        old: list[str] = []
        new: list[str] = []
        eof = False
        start = i
        while i < len(body):
            line = body[i]
            if line.strip() == EOF_MARK:
                eof = True
                i += 1
                break
            if _is_header(line) or (line.startswith("***") and line.strip() != EOF_MARK):
                break
            if line == "":
                old.append("")
                new.append("")
            elif line[0] == " ":
                old.append(line[1:])
                new.append(line[1:])
            elif line[0] == "-":
                old.append(line[1:])
            elif line[0] == "+":
                new.append(line[1:])
            else:
                if i == start:
                    raise PatchParseError(
                        f"Unexpected line found in update hunk: '{line}'. Every line should start "
                        "with ' ' (context line), '+' (added line), or '-' (removed line)",
                        i + 2,
                    )
                break
            i += 1
        if old or new or context:
            chunks.append(UpdateChunk(tuple(context), tuple(old), tuple(new), eof))
    return chunks, i

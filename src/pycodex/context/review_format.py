"""The reviewer's answer: parsed into Codex's review JSON, rendered as Codex shows it, and the
summary of it that the main conversation keeps.

Pure: text in, text or protocol types out.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import ValidationError

from pycodex.protocol.events import ReviewFinding, ReviewOutputEvent

# Shown when the reviewer's answer held neither an explanation nor findings (Codex's words).
NO_REVIEW_OUTPUT = "Reviewer failed to output a response."


def parse_review_output(text: str) -> ReviewOutputEvent | None:
    """The structured review in the reviewer's answer; None for a blank answer.

    The answer should be the JSON object alone; one wrapped in a code fence or in prose is
    found between its first `{` and last `}`. Anything else is kept whole as the
    explanation, with no findings, so the reviewer's words are never lost.
    """
    if not text.strip():
        return None
    parsed = _strict(text)
    if parsed is None:
        start, end = text.find("{"), text.rfind("}")
        if 0 <= start < end:
            parsed = _strict(text[start : end + 1])
    if parsed is None:
        parsed = ReviewOutputEvent(
            findings=[], overall_correctness="", overall_explanation=text, overall_confidence_score=0.0
        )
    return parsed


def _strict(text: str) -> ReviewOutputEvent | None:
    # Strict as Codex's serde types: every field present, numbers not given as strings,
    # integers not given as floats.
    try:
        return ReviewOutputEvent.model_validate_json(text, strict=True)
    except ValidationError:
        return None


def render_review_text(output: ReviewOutputEvent | None) -> str:
    """The review as one message: the overall explanation, then the findings block."""
    sections: list[str] = []
    if output is not None:
        explanation = output.overall_explanation.strip()
        if explanation:
            sections.append(explanation)
        if output.findings:
            sections.append(findings_block(output.findings))
    return "\n\n".join(sections) if sections else NO_REVIEW_OUTPUT


def findings_block(findings: Sequence[ReviewFinding]) -> str:
    """A header, then per finding a blank line, `- <title> — <path>:<start>-<end>` and its
    body indented by two spaces."""
    lines = ["Full review comments:" if len(findings) > 1 else "Review comment:"]
    for finding in findings:
        lines.append("")
        lines.append(f"- {finding.title} — {finding_location(finding)}")
        lines.extend(f"  {line}" for line in _body_lines(finding.body))
    return "\n".join(lines).strip()


def finding_location(finding: ReviewFinding) -> str:
    """`<path>:<start>-<end>` of a finding."""
    loc = finding.code_location
    return f"{loc.absolute_file_path}:{loc.line_range.start}-{loc.line_range.end}"


def _body_lines(body: str) -> list[str]:
    # Lines end at "\n" (a "\r" before it goes too); a final newline starts no extra line.
    # str.splitlines would also split at form feeds and Unicode separators, Codex does not.
    if not body:
        return []
    lines = body.split("\n")
    if lines[-1] == "":
        lines.pop()
    return [line.removesuffix("\r") for line in lines]


# ---- the summary the main conversation keeps -------------------------------------------------
# The review ran in its own history; the conversation keeps only this message (as Codex does,
# a user message in its `<user_action>` shape), so later turns and a resumed session can refer
# to the findings without the reviewer's own steps.
_DONE_CONTEXT = (
    "The user ran a code review in a separate reviewer session. Its complete result follows; "
    "the user may ask for some of the comments to be addressed."
)
_UNFINISHED_CONTEXT = (
    "The user started a code review, but it ended (interrupted or failed) before the reviewer "
    "answered. If the user asks about it, suggest running the review again and letting it finish."
)


def review_summary_message(output: ReviewOutputEvent | None, *, finished: bool = True) -> str:
    """The user-action message recorded in the main conversation when a review ends."""
    context = _DONE_CONTEXT if finished else _UNFINISHED_CONTEXT
    results = render_review_text(output) if finished else "None."
    return (
        "<user_action>\n"
        f"  <context>{context}</context>\n"
        "  <action>review</action>\n"
        "  <results>\n"
        f"{results}\n"
        "  </results>\n"
        "</user_action>"
    )

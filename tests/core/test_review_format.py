"""The review's pure parts: parsing the reviewer's answer, rendering it as Codex does, the
summary the conversation keeps, and the request text for each target."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pycodex.context.review_format import (
    NO_REVIEW_OUTPUT,
    parse_review_output,
    render_review_text,
    review_summary_message,
)
from pycodex.context.review_prompts import (
    UNCOMMITTED_PROMPT,
    TargetFacts,
    review_prompt,
    target_problem,
    user_facing_hint,
)
from pycodex.protocol.events import (
    BaseBranchTarget,
    CommitTarget,
    CustomTarget,
    ReviewOutputEvent,
    UncommittedChangesTarget,
)


def finding(title: str = "[P1] Fix the bound", body: str = "It overflows.", path: str = "/ws/a.py",
            start: int = 3, end: int = 4, **over: Any) -> dict[str, Any]:
    return {"title": title, "body": body, "confidence_score": 0.8, "priority": 1,
            "code_location": {"absolute_file_path": path, "line_range": {"start": start, "end": end}},
            **over}


def review(*findings: dict[str, Any], explanation: str = "The loop is off by one.") -> dict[str, Any]:
    return {"findings": list(findings), "overall_correctness": "patch is incorrect",
            "overall_explanation": explanation, "overall_confidence_score": 0.7}


# ---- parsing ---------------------------------------------------------------------------------

def test_plain_json_is_parsed_with_every_field() -> None:
    out = parse_review_output(json.dumps(review(finding())))
    assert out is not None and out.overall_correctness == "patch is incorrect"
    f = out.findings[0]
    assert (f.title, f.priority, f.confidence_score) == ("[P1] Fix the bound", 1, 0.8)
    assert (str(f.code_location.absolute_file_path), f.code_location.line_range.start) == ("/ws/a.py", 3)


@pytest.mark.parametrize("wrap", [
    "```json\n{}\n```",
    "Here is my review:\n{}\nThanks.",
    "```\n{}\n```\n",
])
def test_json_in_a_fence_or_in_prose_is_found(wrap: str) -> None:
    text = wrap.replace("{}", json.dumps(review(finding(), finding(title="[P2] Second"))))
    out = parse_review_output(text)
    assert out is not None and [f.title for f in out.findings] == ["[P1] Fix the bound", "[P2] Second"]


@pytest.mark.parametrize("text", [
    "I could not finish the review.",                       # prose, no JSON at all
    '{"findings": [], "overall_explanation": "half"',      # truncated JSON
    json.dumps({"findings": [finding()]}),                   # overall fields missing
    json.dumps(review(finding(priority=1.0))),               # priority as a float
    json.dumps(review(finding(priority="1"))),               # priority as a string
    json.dumps(review(finding(start=-1))),                   # a negative line number
    json.dumps(review(finding(title=None))),                 # a null title
    '{"a": 1} and ' + json.dumps(review(finding())),        # two objects: first { to last } is neither
    json.dumps(review()).replace("0.7", "NaN"),              # NaN is not JSON
    "[1, 2, 3]",                                             # not an object
])
def test_malformed_answer_is_kept_whole_as_the_explanation(text: str) -> None:
    """Bad input tried: each answer above is not Codex's review JSON."""
    out = parse_review_output(text)
    assert out is not None and out.findings == [] and out.overall_explanation == text
    assert render_review_text(out) == text.strip()


@pytest.mark.parametrize("text", ["", "   \n\t"])
def test_blank_answer_is_no_review(text: str) -> None:
    """Bad input tried: an empty or whitespace-only answer."""
    assert parse_review_output(text) is None
    assert render_review_text(None) == NO_REVIEW_OUTPUT


def test_integer_confidence_and_unknown_fields_are_accepted() -> None:
    data = review(finding(confidence_score=1, extra="ignored"))
    data["overall_confidence_score"] = 1
    out = parse_review_output(json.dumps(data))
    assert out is not None and out.findings[0].confidence_score == 1.0


# ---- rendering (checked against Codex 0.169 in tests/interop/test_review_codex.py) -------------

def test_one_finding_renders_under_review_comment() -> None:
    out = ReviewOutputEvent.model_validate(review(finding(body="Line one.\nLine two.")))
    assert render_review_text(out) == (
        "The loop is off by one.\n\nReview comment:\n\n"
        "- [P1] Fix the bound — /ws/a.py:3-4\n  Line one.\n  Line two."
    )


def test_several_findings_render_under_full_review_comments() -> None:
    out = ReviewOutputEvent.model_validate(review(finding(), finding(title="[P2] B", body="b", path="/ws/b.py",
                                                                     start=9, end=9)))
    assert render_review_text(out) == (
        "The loop is off by one.\n\nFull review comments:\n\n"
        "- [P1] Fix the bound — /ws/a.py:3-4\n  It overflows.\n\n"
        "- [P2] B — /ws/b.py:9-9\n  b"
    )


def test_body_lines_split_at_newlines_only() -> None:
    body = "a\r\nb\n\nc\fd\u2028e\n"
    out = ReviewOutputEvent.model_validate(review(finding(body=body)))
    assert render_review_text(out).endswith("\n  a\n  b\n  \n  c\fd\u2028e")


def test_explanation_alone_and_nothing_at_all() -> None:
    assert render_review_text(ReviewOutputEvent.model_validate(review(explanation="  All good.\n"))) == "All good."
    assert render_review_text(ReviewOutputEvent.model_validate(review(explanation=""))) == NO_REVIEW_OUTPUT
    lone = ReviewOutputEvent.model_validate(review(finding(), explanation=" "))
    assert render_review_text(lone).startswith("Review comment:\n\n- [P1]")


def test_summary_message_carries_the_rendered_review() -> None:
    out = ReviewOutputEvent.model_validate(review(finding()))
    text = review_summary_message(out)
    assert text.startswith("<user_action>\n") and text.endswith("</user_action>")
    assert "<action>review</action>" in text and render_review_text(out) in text
    unfinished = review_summary_message(None, finished=False)
    assert "<results>\nNone.\n  </results>" in unfinished and "again" in unfinished


# ---- the request for each target -------------------------------------------------------------

def test_uncommitted_request_is_codex_text() -> None:
    assert review_prompt(UncommittedChangesTarget(), TargetFacts()) == (
        "Review the current code changes (staged, unstaged, and untracked files) and provide "
        "prioritized findings."
    ) == UNCOMMITTED_PROMPT
    assert user_facing_hint(UncommittedChangesTarget()) == "current changes"


def test_base_branch_request_names_the_merge_base_and_the_diff_command() -> None:
    text = review_prompt(BaseBranchTarget(branch="main"), TargetFacts(merge_base="abc123"))
    assert "'main'" in text and "`git diff abc123`" in text
    assert user_facing_hint(BaseBranchTarget(branch="main")) == "changes against 'main'"


def test_commit_request_names_the_full_sha_and_title() -> None:
    sha = "0123456789abcdef0123456789abcdef01234567"
    facts = TargetFacts(sha=sha, title="Subject from git")
    text = review_prompt(CommitTarget(sha="HEAD"), facts)
    assert f'commit {sha} ("Subject from git")' in text and f"`git show {sha}`" in text
    given = CommitTarget(sha="HEAD", title="Given title")
    assert '("Given title")' in review_prompt(given, facts)
    assert user_facing_hint(given, facts) == "commit 0123456: Given title"
    assert user_facing_hint(CommitTarget(sha=sha)) == "commit 0123456"


def test_custom_request_is_the_instructions() -> None:
    target = CustomTarget(instructions="  Look only at the parser.\n")
    assert review_prompt(target, TargetFacts()) == "Look only at the parser."
    assert user_facing_hint(target) == "Look only at the parser."


@pytest.mark.parametrize(("target", "problem"), [
    (CustomTarget(instructions=" \n"), "the review instructions are empty"),
    (BaseBranchTarget(branch=""), "no base branch given"),
    (CommitTarget(sha="  "), "no commit given"),
    (CommitTarget(sha="ab\0cd"), "is not a git revision"),
])
def test_targets_refused_before_git(target: Any, problem: str) -> None:
    """Bad input tried: empty instructions, an empty branch, a blank sha, a NUL in a sha."""
    found = target_problem(target)
    assert found is not None and problem in found
    assert target_problem(UncommittedChangesTarget()) is None

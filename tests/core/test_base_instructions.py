"""Our base instructions cover what a model needs here, and agree with what the tools really do."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from pycodex.context.prompts import load_prompt
from pycodex.exec.output import format_exec_command_output
from pycodex.patch.parser import parse_patch

TEXT = load_prompt("base_instructions.md")

# Each topic: its heading, and what the section must mention.
TOPICS = {
    "# Sandbox and escalation": ['sandbox_permissions: "require_escalated"', "justification", "`never`",
                                 "must not request escalation", "danger-full-access", "workspace-write"],
    "# Editing files with apply_patch": ["*** Begin Patch", "*** End Patch", "*** Add File:", "*** Delete File:",
                                         "*** Update File:", "*** Move to:", "@@", "*** End of File", "`+`", "`-`"],
    "# Planning": ["update_plan", "in_progress", "completed", "simple tasks"],
    "# AGENTS.md files": ["Scope", "directory tree", "Precedence", "deeper", "AGENTS.override.md", "win over"],
    "# Tool outputs you will see": ["Chunk ID:", "Wall time:", "Process exited with code", "Original token count:",
                                    "Process running with session ID", "Exit code:", "Success. Updated the following files:",
                                    "Plan updated", "unsupported call:", "tokens truncated", "write_stdin"],
    "# Your final answer": ["what you changed", "how you checked", "could not finish"],
    "# Your environment": ["<environment_context>", "<permissions instructions>", "approval policy"],
}


def section(heading: str) -> str:
    """The text under a top-level heading, up to the next one."""
    start = TEXT.index(heading + "\n")
    nxt = TEXT.find("\n# ", start + 1)
    return TEXT[start: None if nxt < 0 else nxt]


@pytest.mark.parametrize("heading", list(TOPICS))
def test_each_topic_has_its_section_and_keywords(heading: str) -> None:
    body = section(heading)
    missing = [k for k in TOPICS[heading] if k not in body]
    assert not missing, f"{heading} lacks {missing}"


def test_the_patch_example_is_a_valid_patch() -> None:
    example = re.search(r"^\*\*\* Begin Patch\n.*?^\*\*\* End Patch\n", TEXT, re.S | re.M)
    assert example
    patch = parse_patch(example.group(0))
    assert len(patch.hunks) == 1


@dataclass
class _Outcome:
    chunk_id: str = "ab12cd"
    wall_time: float = 0.5
    exit_code: int | None = 0
    session_id: int | None = None
    output: bytes = b"hi\n"


@pytest.mark.parametrize("outcome", [_Outcome(), _Outcome(exit_code=None, session_id=3)])
def test_described_exec_output_labels_are_the_real_ones(outcome: _Outcome) -> None:
    described = section("# Tool outputs you will see")
    for line in format_exec_command_output(outcome, 100).splitlines()[:-1]:
        label = re.sub(r"[\d.]+", "", line.split(":")[0] if ":" in line else line).strip()
        assert label in described, line

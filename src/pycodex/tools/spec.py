"""Tool specs as the model APIs take them, chosen by model family."""

from __future__ import annotations

from functools import cache
from typing import Any

from pycodex.config.model_family import ToolSurface
from pycodex.config.web_search import WebSearchMode

# The freeform grammar is a fact of the apply_patch format (the model was trained on it).
APPLY_PATCH_LARK = r"""start: begin_patch hunk+ end_patch
begin_patch: "*** Begin Patch" LF
end_patch: "*** End Patch" LF?

hunk: add_hunk | delete_hunk | update_hunk
add_hunk: "*** Add File: " filename LF add_line+
delete_hunk: "*** Delete File: " filename LF
update_hunk: "*** Update File: " filename LF change_move? change?

filename: /(.+)/
add_line: "+" /(.*)/ LF -> line

change_move: "*** Move to: " filename LF
change: (change_context | change_line)+ eof_line?
change_context: ("@@" | "@@ " /(.+)/) LF
change_line: ("+" | "-" | " ") /(.*)/ LF
eof_line: "*** End of File" LF

%import common.LF
"""


def _fn(name: str, description: str, props: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "type": "function",
        "name": name,
        "description": description,
        "strict": False,
        "parameters": {
            "type": "object",
            "properties": props,
            "required": required,
            "additionalProperties": False,
        },
    }


S = {"type": "string"}
N = {"type": "number"}
B = {"type": "boolean"}


@cache
def exec_command_spec() -> dict[str, Any]:
    """`exec_command`: run a shell command, possibly leaving it running."""
    return _fn(
        "exec_command",
        "Run a command through the shell (bash -lc by default). If it is still running after "
        "yield_time_ms, you get its output so far and a session id to use with write_stdin.",
        {
            "cmd": {**S, "description": "The shell command to run."},
            "workdir": {**S, "description": "Working directory; defaults to the turn's cwd."},
            "shell": {**S, "description": "Shell binary to run the command with."},
            "login": {**B, "description": "Run as a login shell (-lc). Default true."},
            "tty": {**B, "description": "Allocate a terminal, for interactive programs."},
            "yield_time_ms": {**N, "description": "How long to wait for output before returning."},
            "max_output_tokens": {**N, "description": "Cap on output tokens returned."},
            "sandbox_permissions": {
                "type": "string",
                "enum": ["use_default", "require_escalated"],
                "description": "require_escalated asks the user to run outside the sandbox.",
            },
            "justification": {**S, "description": "One sentence on why escalation is needed."},
            "prefix_rule": {"type": "array", "items": S},
        },
        ["cmd"],
    )


@cache
def write_stdin_spec() -> dict[str, Any]:
    """`write_stdin`: talk to a running exec_command session."""
    return _fn(
        "write_stdin",
        "Write characters to a running exec_command session and return its new output. "
        "Empty chars just polls.",
        {
            "session_id": {**N, "description": "The session id exec_command returned."},
            "chars": {**S, "description": "Characters to write (include \\n to press Enter)."},
            "yield_time_ms": N,
            "max_output_tokens": N,
        },
        ["session_id"],
    )


@cache
def shell_spec() -> dict[str, Any]:
    """The classic `shell` tool: run an argv to completion."""
    return _fn(
        "shell",
        "Runs a command (an argv array, e.g. [\"bash\", \"-lc\", \"ls\"]) and returns its output.",
        {
            "command": {"type": "array", "items": S, "description": "The command to execute."},
            "workdir": {**S, "description": "The working directory to execute the command in."},
            "timeout_ms": {**N, "description": "The timeout for the command in milliseconds."},
            "with_escalated_permissions": {
                **B,
                "description": "Ask to run without sandbox restrictions.",
            },
            "justification": {**S, "description": "Why escalation is needed, in one sentence."},
        },
        ["command"],
    )


APPLY_PATCH_DESCRIPTION = (
    "Edit files with a patch in the apply_patch format (*** Begin Patch ... *** End Patch). "
    "This is a freeform tool: send the patch text itself, not JSON."
)


@cache
def apply_patch_freeform_spec() -> dict[str, Any]:
    """`apply_patch` as a freeform custom tool with its grammar."""
    return {
        "type": "custom",
        "name": "apply_patch",
        "description": APPLY_PATCH_DESCRIPTION,
        "format": {"type": "grammar", "syntax": "lark", "definition": APPLY_PATCH_LARK},
    }


@cache
def apply_patch_function_spec() -> dict[str, Any]:
    """`apply_patch` as a JSON function taking the patch as `input`."""
    return _fn(
        "apply_patch",
        "Edit files. `input` is the whole patch: *** Begin Patch, then *** Add File: / "
        "*** Delete File: / *** Update File: sections with @@ context and +/-/space lines, "
        "then *** End Patch. Paths are relative to the working directory.",
        {"input": {**S, "description": "The entire contents of the apply_patch command."}},
        ["input"],
    )


@cache
def update_plan_spec() -> dict[str, Any]:
    """`update_plan`: keep a step list with statuses."""
    return _fn(
        "update_plan",
        "Updates the task plan: an optional explanation and a list of steps with statuses. "
        "At most one step can be in_progress at a time.",
        {
            "explanation": S,
            "plan": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "step": S,
                        "status": {
                            "type": "string",
                            "enum": ["pending", "in_progress", "completed"],
                        },
                    },
                    "required": ["step", "status"],
                    "additionalProperties": False,
                },
            },
        },
        ["plan"],
    )


@cache
def view_image_spec() -> dict[str, Any]:
    """`view_image`: attach a local image to the conversation."""
    return _fn(
        "view_image",
        "Attach a local image file (by path) so you can see it in the next request.",
        {"path": {**S, "description": "Local filesystem path to an image file."}},
        ["path"],
    )


# ---- request_user_input: same name and parameters as Codex, our own descriptions.
@cache
def request_user_input_spec() -> dict[str, Any]:
    """`request_user_input`: ask the user a few questions with suggested answers, and wait."""
    option = {
        "type": "object",
        "properties": {
            "label": {**S, "description": "The choice as the user sees it, a few words."},
            "description": {**S, "description": "What picking it would mean, in one sentence."},
        },
        "required": ["label", "description"],
        "additionalProperties": False,
    }
    question = {
        "type": "object",
        "properties": {
            "header": {**S, "description": "A very short title for the question (12 characters at most)."},
            "id": {**S, "description": "A snake_case key; the answer comes back under it."},
            "options": {
                "type": "array",
                "items": option,
                "description": "Two or three choices that exclude each other, the one you "
                "recommend first. The user can always type another answer instead.",
            },
            "question": {**S, "description": "The question itself, in one sentence."},
        },
        "required": ["id", "header", "question", "options"],
        "additionalProperties": False,
    }
    return _fn(
        "request_user_input",
        "Ask the user one to three short questions, each with suggested answers, and wait for "
        "the answers. First tell the user, in a message, what you need to decide and why. When "
        "no user can answer (a non-interactive run), the call returns at once and says so.",
        {
            "questions": {
                "type": "array",
                "items": question,
                "description": "The questions: one is best, three at most.",
            }
        },
        ["questions"],
    )


# ---- web_search: hosted by the Responses API (the server runs the search) ----------------------


def web_search_spec(mode: WebSearchMode, *, images: bool) -> dict[str, Any] | None:
    """The hosted `web_search` tool as Codex sends it for a mode; None when disabled."""
    if mode is WebSearchMode.DISABLED:
        return None
    spec: dict[str, Any] = {"type": "web_search", "external_web_access": mode is not WebSearchMode.CACHED}
    if mode is WebSearchMode.INDEXED:
        spec["indexed_web_access"] = True
    if images:
        spec["search_content_types"] = ["text", "image"]
    return spec


def tool_specs(
    surface: ToolSurface,
    *,
    custom_tools_supported: bool,
    plan: bool,
    view_image: bool,
    apply_patch: bool,
    web_search: dict[str, Any] | None = None,
    request_user_input: bool = False,
) -> list[dict[str, Any]]:
    """The tools offered to a model of this surface, in a stable order."""
    specs: list[dict[str, Any]] = []
    if surface is ToolSurface.MODERN:
        specs += [exec_command_spec(), write_stdin_spec()]
    else:
        specs.append(shell_spec())
    if plan:
        specs.append(update_plan_spec())
    if request_user_input:  # Codex's place for it: after the plan, before apply_patch
        specs.append(request_user_input_spec())
    if apply_patch:
        freeform = surface is ToolSurface.MODERN and custom_tools_supported
        specs.append(apply_patch_freeform_spec() if freeform else apply_patch_function_spec())
    if view_image:
        specs.append(view_image_spec())
    if web_search:
        specs.append(web_search)
    return specs


# ---- goals and tool_search (issue #10) ------------------------------------------------------


@cache
def goal_specs() -> tuple[dict[str, Any], ...]:
    """`get_goal`, `create_goal`, `update_goal`: the thread's goal, as Codex offers them."""
    return (
        _fn(
            "get_goal",
            "Read this thread's goal: its objective, status, token budget, the tokens and time "
            "spent on it, and the budget left.",
            {},
            [],
        ),
        _fn(
            "create_goal",
            "Start a goal for this thread, only when the user (or a system or developer "
            "instruction) explicitly asks for one; never infer a goal from an ordinary task. "
            "Fails while an unfinished goal exists; a completed goal is replaced.",
            {
                "objective": {**S, "description": "What must be true when the goal is done."},
                "token_budget": {
                    "type": "integer",
                    "description": "A positive token budget, only if the user asked for one.",
                },
            },
            ["objective"],
        ),
        _fn(
            "update_goal",
            "Mark the goal `complete` once its objective is achieved and verified, `blocked` "
            "when the same obstacle has stopped progress for at least three goal turns in a "
            "row and only the user or an outside change can clear it, or `paused` only when "
            "the user asks. Being near the budget is no reason to mark it complete.",
            {"status": {"type": "string", "enum": ["complete", "blocked", "paused"]}},
            ["status"],
        ),
    )


@cache
def tool_search_spec() -> dict[str, Any]:
    """`tool_search`, executed by pycodex (the client): finds deferred tools."""
    return {
        "type": "tool_search",
        "execution": "client",
        "description": "Search the tools that are not listed up front by what they do; the "
        "matches become available for your next step.",
        "parameters": {
            "type": "object",
            "properties": {
                "query": {**S, "description": "Words describing the capability you need."},
                "limit": {**N, "description": "At most this many tools (default 8)."},
            },
            "required": ["query"],
            "additionalProperties": False,
        },
    }


def insert_before_hosted(specs: list[dict[str, Any]], extra: list[dict[str, Any]]) -> None:
    """Put `extra` before the hosted tools (web_search), where Codex lists them."""
    at = next((i for i, s in enumerate(specs) if s.get("type") == "web_search"), len(specs))
    specs[at:at] = extra

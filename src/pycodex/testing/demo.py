"""The scenario behind `pycodex demo --model-server scripted` (built-in name `demo`).

The demo workspace holds `notes.txt` = DEMO_NOTES; the model lists it, patches it and adds
`hello.txt`, then summarizes.
"""

from __future__ import annotations

from pycodex.testing import scenario as sc
from pycodex.testing.scenario import Turn

DEMO_NOTES = "# Notes\ntodo: say hello\n"

DEMO_PATCH = """*** Begin Patch
*** Add File: hello.txt
+Hello from pycodex
*** Update File: notes.txt
@@
 # Notes
-todo: say hello
+done: said hello
*** End Patch
"""


def demo_scenario() -> list[Turn]:
    """Look around, patch two files, answer."""
    return [
        sc.turn(
            sc.reasoning("**Looking around** I will list the files and read the notes."),
            sc.function_call("exec_command", {"cmd": "ls -1 && cat notes.txt"}, "call_demo_1"),
            sc.completed(input_tokens=1200, output_tokens=40),
        ),
        sc.turn(
            sc.reasoning("**Editing** The todo is done once I say hello; I will patch both files."),
            sc.custom_tool_call("apply_patch", DEMO_PATCH, "call_demo_2"),
            sc.completed(input_tokens=1400, output_tokens=60),
        ),
        sc.turn(
            sc.text_deltas(
                [
                    "I listed the workspace and read `notes.txt`, then added `hello.txt` ",
                    "(\"Hello from pycodex\") and marked the todo in `notes.txt` as done.",
                ]
            ),
            sc.completed(input_tokens=1600, output_tokens=30),
        ),
    ]

"""A scripted model server for many concurrent conversations: one command, then one answer.

Each request is answered from the request alone (no shared queue), so conversations may run
in any order and any number at once: a request whose input holds no tool output yet gets an
`exec_command` call of `echo hi`; one that holds the output gets the final answer. Prints
`{"base_url": ...}` on its first line, then serves until SIGTERM/SIGINT.

    python bench/one_command_server.py
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from pycodex.testing import scenario as sc
from pycodex.testing.server import RecordedRequest, ScriptedModelServer

CALL = sc.turn(sc.function_call("exec_command", {"cmd": "echo hi"}, "call_1"),
               sc.completed(input_tokens=100, output_tokens=10))
ANSWER = sc.turn(sc.message("done"), sc.completed(input_tokens=120, output_tokens=5))


def answer(req: RecordedRequest) -> sc.Turn:
    """The call first, the answer once the call's output is in the input."""
    body: Any = req.body
    items = body.get("input", []) if isinstance(body, dict) else []
    has_output = any(isinstance(i, dict) and i.get("type") == "function_call_output" for i in items)
    return ANSWER if has_output else CALL


def main() -> int:
    srv = ScriptedModelServer(responder=answer).start()
    print(json.dumps({"base_url": srv.base_url}), flush=True)
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    while not done.wait(1.0):
        pass
    srv.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

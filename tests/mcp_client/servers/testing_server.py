"""A small MCP server (the SDK's MCPServer, formerly FastMCP) for pycodex's MCP client tests.

    python testing_server.py                 # stdio
    python testing_server.py http PORT TOKEN # streamable HTTP on 127.0.0.1, bearer TOKEN required

Tools: echo (read-only), add, nap (sleeps), crash (the server exits mid-call), big (n bytes of
text), structured (structured content), picture (an image), wipe (destructive), a tool with a
70-character name, and spawn_daemon (leaves a grandchild that ignores stdin, for the process
tests: its pid goes to the file named in $DAEMON_PID_FILE).
"""

from __future__ import annotations

import asyncio
import base64
import os
import subprocess
import sys
import zlib

from mcp.server.mcpserver import MCPServer
from mcp.types import ImageContent, TextContent, ToolAnnotations

LONG_NAME = "a_tool_whose_name_is_exactly_seventy_characters_long_for_the_limit_x70"
assert len(LONG_NAME) == 70

app = MCPServer("testing", instructions="Test tools for pycodex.\nSecond line of instructions.")


def _png() -> str:
    """A valid 1x1 PNG, built here (no binary fixture)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")
    ihdr = (1).to_bytes(4, "big") * 2 + bytes([8, 6, 0, 0, 0])
    idat = zlib.compress(b"\x00\xff\x00\x00\xff")
    raw = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    return base64.b64encode(raw).decode()


@app.tool(description="Echo back the message.", annotations=ToolAnnotations(readOnlyHint=True),
          structured_output=False)
def echo(message: str) -> str:
    return f"echo: {message}"


@app.tool(description="Add two integers.", annotations=ToolAnnotations(readOnlyHint=True))
def add(a: int, b: int) -> int:
    return a + b


@app.tool(description="Sleep for some seconds, then answer.", annotations=ToolAnnotations(readOnlyHint=True),
          structured_output=False)
async def nap(seconds: float) -> str:
    await asyncio.sleep(seconds)
    return "slept"


@app.tool(description="Make the server exit in the middle of the call.",
          annotations=ToolAnnotations(readOnlyHint=True), structured_output=False)
def crash() -> str:
    os._exit(3)


@app.tool(description="Return n bytes of text.", annotations=ToolAnnotations(readOnlyHint=True),
          structured_output=False)
def big(n: int) -> str:
    return ("0123456789abcdef" * (n // 16 + 1))[:n]


@app.tool(description="Return a picture.", annotations=ToolAnnotations(readOnlyHint=True),
          structured_output=False)
def picture() -> list[TextContent | ImageContent]:
    return [TextContent(type="text", text="a picture:"),
            ImageContent(type="image", data=_png(), mimeType="image/png")]


@app.tool(description="Delete everything (pretend).", annotations=ToolAnnotations(destructiveHint=True),
          structured_output=False)
def wipe() -> str:
    return "wiped"


@app.tool(name=LONG_NAME, description="A tool with a seventy-character name.",
          annotations=ToolAnnotations(readOnlyHint=True), structured_output=False)
def long_named() -> str:
    return "long name works"


@app.tool(description="Start a daemon grandchild that ignores stdin.",
          annotations=ToolAnnotations(readOnlyHint=True), structured_output=False)
def spawn_daemon() -> str:
    child = subprocess.Popen(["sleep", "300"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, start_new_session=True)
    with open(os.environ["DAEMON_PID_FILE"], "w") as f:
        f.write(f"{os.getpid()} {child.pid}\n")
    return f"daemon {child.pid}"


def _serve_http(port: int, token: str) -> None:
    import uvicorn

    inner = app.streamable_http_app()

    async def guarded(scope, receive, send):  # type: ignore[no-untyped-def]
        if scope["type"] == "http":
            headers = dict(scope.get("headers") or [])
            if headers.get(b"authorization") != f"Bearer {token}".encode():
                await send({"type": "http.response.start", "status": 401, "headers": []})
                await send({"type": "http.response.body", "body": b"unauthorized"})
                return
        await inner(scope, receive, send)

    uvicorn.run(guarded, host="127.0.0.1", port=port, log_level="warning", lifespan="on")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "http":
        _serve_http(int(sys.argv[2]), sys.argv[3])
    else:
        app.run("stdio")

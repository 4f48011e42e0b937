"""The `mcp` SDK's client-side log records as one line each, naming the server they concern.

The SDK logs a server's unreadable output (a line on its stdout that is not JSON-RPC, an HTTP
body it cannot parse) with `logger.exception`: a traceback on pycodex's stderr for what is the
server's bad input. Each connection runs in a task of its own that sets `SERVER`, which the
SDK's reader tasks inherit, so the line can say which server wrote it.
"""

from __future__ import annotations

import contextvars
import logging

SERVER: contextvars.ContextVar[str | None] = contextvars.ContextVar("pycodex_mcp_server", default=None)

# Filters on a logger see only the records logged on it (not its children's): each by name.
_SDK_LOGGERS = ("mcp.client.stdio", "mcp.client.streamable_http", "mcp.client.sse",
                "mcp.client.session", "mcp.client.client", "mcp.shared.jsonrpc_dispatcher")


class OneLine(logging.Filter):
    """Folds a record's exception into its message and prefixes the server's name."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place; never drops it."""
        message = record.getMessage()
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None:
            message = f"{message}: {reason(exc)}"
        name = SERVER.get()
        if name is not None:
            message = f"MCP server `{name}`: {message}"
        record.msg, record.args = message, None
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        return True


def reason(exc: BaseException) -> str:
    """An exception in one line; a validation error by what is wrong with the line."""
    errors = getattr(exc, "errors", None)
    if callable(errors):
        try:
            first = errors()[0]
            if first["type"] == "json_invalid":
                return f"not JSON ({str(first['msg']).removeprefix('Invalid JSON: ')})"
            return "not a JSON-RPC request, notification or reply"
        except (TypeError, LookupError):
            pass
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


_FILTER = OneLine()


def install() -> None:
    """Attach the filter to the SDK's loggers (once)."""
    for name in _SDK_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)

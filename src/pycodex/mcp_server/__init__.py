"""`pycodex mcp-server`: pycodex served as an MCP server (the `codex` and `codex-reply` tools)."""

"""`pycodex app-server`: Codex's JSON-RPC v2 app-server protocol over stdio (a surface)."""

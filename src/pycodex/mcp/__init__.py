"""pycodex.mcp."""

"""pycodex.tools."""

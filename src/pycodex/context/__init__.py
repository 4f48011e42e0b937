"""pycodex.context."""

"""pycodex.cli."""

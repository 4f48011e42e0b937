"""pycodex.tasks."""

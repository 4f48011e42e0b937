"""pycodex.patch."""

"""pycodex.config."""

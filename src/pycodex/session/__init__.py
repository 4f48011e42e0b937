"""pycodex.session."""

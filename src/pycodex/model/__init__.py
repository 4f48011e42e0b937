"""pycodex.model."""

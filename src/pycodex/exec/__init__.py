"""pycodex.exec."""

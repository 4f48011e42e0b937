"""pycodex.state."""

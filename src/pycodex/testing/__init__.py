"""pycodex.testing."""

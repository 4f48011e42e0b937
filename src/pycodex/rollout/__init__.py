"""pycodex.rollout."""

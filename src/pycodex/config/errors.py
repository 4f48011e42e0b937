"""The one error type of the config package."""

from __future__ import annotations


class ConfigError(ValueError):
    """The configuration cannot be used; the message says what to fix, one line per problem."""

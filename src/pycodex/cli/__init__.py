"""Command-line surfaces: exec, sessions, sandbox, apply-patch, demo."""

"""The interactive terminal UI: a textual app over the session's Op/Event stream."""

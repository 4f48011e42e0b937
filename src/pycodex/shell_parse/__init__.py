"""Parsing shell scripts (pure): what a `bash -lc` script runs, without running it."""

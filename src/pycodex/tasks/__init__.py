"""Tasks a session runs: regular turns, compaction and review."""

"""`pycodex batch`: many tasks, each a headless session in its own workspace (a surface)."""

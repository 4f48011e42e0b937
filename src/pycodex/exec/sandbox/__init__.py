"""Linux sandboxing: writable roots and the bubblewrap backend."""

"""Wire types only: ops, events, model items, policies, exec JSONL and rollout lines.

Nothing here performs I/O or imports another part of pycodex.
"""

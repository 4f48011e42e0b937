"""Wire types: ops, events, model items, policies, exec JSONL and rollout lines.

Also the pure mappings between them (protocol events → exec JSONL lines, a command as the
one line those lines show). Nothing here performs I/O or imports another part of pycodex.
"""

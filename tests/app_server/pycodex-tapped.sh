#!/usr/bin/env bash
# The executable the Python SDK runs as codex_bin: pycodex, with both directions of the wire
# copied to $PYCODEX_TAP.in / .out so the tests can check every message against the schema.
# exec: pycodex itself gets the SDK's signals (SIGTERM on close).
exec "${PYCODEX_PYTHON:-python3}" -m pycodex.cli.main "$@" \
  < <(tee -a "$PYCODEX_TAP.in") > >(tee -a "$PYCODEX_TAP.out")

#!/usr/bin/env bash
# The executable the Codex SDK runs (codexPathOverride): pycodex, with the SDK's argv.
exec "${PYCODEX_PYTHON:-python3}" -m pycodex.cli.main "$@"

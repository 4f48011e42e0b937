#!/usr/bin/env bash
# Install pycodex and what the tests need, then lint, type-check and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/setup-tests.sh
.venv/bin/ruff check src tests
.venv/bin/mypy
.venv/bin/pytest "$@"

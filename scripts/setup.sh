#!/usr/bin/env bash
# Install pycodex into ./.venv. Needs Python >= 3.11 and git. System-wide, and only when run as
# root with apt-get: the Debian package bubblewrap (the sandbox). Nothing else leaves ./.venv.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "pycodex needs Python >= 3.11 (found: $("$PY" --version 2>&1 || echo none)); set PYTHON=/path/to/python3.11" >&2
  exit 1
fi
command -v git >/dev/null 2>&1 || echo "note: git is not installed; pycodex works in git repositories" >&2
if ! command -v bwrap >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing the system package bubblewrap (the command sandbox)" >&2
    apt-get update -qq >/dev/null && apt-get install -y -qq bubblewrap >/dev/null
  else
    echo "note: bubblewrap (bwrap) is not installed; sandboxed commands use Landlock or are refused." \
      "Install it with: sudo apt-get install bubblewrap" >&2
  fi
fi
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null
.venv/bin/python -m pip install -q --disable-pip-version-check -e .

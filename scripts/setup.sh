#!/usr/bin/env bash
# Install everything pycodex needs into ./.venv (and bubblewrap for the sandbox, when root).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v bwrap >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq >/dev/null && apt-get install -y -qq bubblewrap >/dev/null
  else
    echo "note: bubblewrap (bwrap) is not installed; sandboxed commands will report it" >&2
  fi
fi
# The real Codex CLI and SDK, used by the interop tests and benchmarks (offline, loopback only).
if command -v npm >/dev/null 2>&1; then
  mkdir -p .cache/npm
  [ -f .cache/npm/package.json ] || echo '{"name":"pycodex-peers","private":true}' > .cache/npm/package.json
  if [ ! -x .cache/npm/node_modules/.bin/codex ] || [ ! -f .cache/npm/node_modules/@openai/codex-sdk/package.json ]; then
    (cd .cache/npm && npm install --no-audit --no-fund --silent @openai/codex@0.169.0 @openai/codex-sdk@0.163.0) \
      || echo "note: could not install @openai/codex from npm; interop tests will say so" >&2
  fi
fi
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[dev]'

#!/usr/bin/env bash
# What the tests need beyond pycodex itself: dev tools in ./.venv; strace, pgrep and tmux (system
# packages, as root with apt-get); the real Codex CLI and SDK from npm (~800 MB in .cache/npm,
# loopback only) for the interop tests and benchmarks. Tests that need a missing piece say so.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[dev]'
# OpenAI's Python SDK drives `pycodex app-server` in tests/app_server: without its pinned Codex
# binary (--no-deps; the tests give it codex_bin), plus its own Python dependencies.
.venv/bin/python -m pip install -q --disable-pip-version-check 'pydantic>=2.12' packaging
.venv/bin/python -m pip install -q --disable-pip-version-check --no-deps openai-codex==0.163.0
missing=()
command -v strace >/dev/null 2>&1 || missing+=(strace)
command -v pgrep >/dev/null 2>&1 || missing+=(procps)
command -v tmux >/dev/null 2>&1 || missing+=(tmux)  # the TUI's end-to-end tests drive a real terminal
if [ ${#missing[@]} -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "setup-tests: installing system packages: ${missing[*]}" >&2
  apt-get update -qq >/dev/null && apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if command -v npm >/dev/null 2>&1; then
  mkdir -p .cache/npm
  [ -f .cache/npm/package.json ] || echo '{"name":"pycodex-peers","private":true}' > .cache/npm/package.json
  if [ ! -x .cache/npm/node_modules/.bin/codex ] || [ ! -f .cache/npm/node_modules/@openai/codex-sdk/package.json ]; then
    (cd .cache/npm && npm install --no-audit --no-fund --silent @openai/codex@0.169.0 @openai/codex-sdk@0.163.0) \
      || echo "note: could not install @openai/codex from npm; interop tests will say so" >&2
  fi
  # The MCP reference server the MCP client tests run against (tests/mcp_client).
  if [ ! -x .cache/npm/node_modules/.bin/mcp-server-everything ]; then
    (cd .cache/npm && npm install --no-audit --no-fund --silent @modelcontextprotocol/server-everything@2026.8.31) \
      || echo "note: could not install @modelcontextprotocol/server-everything; its tests will say so" >&2
  fi
else
  echo "note: npm is not installed; the interop tests against the real Codex will be skipped" >&2
fi

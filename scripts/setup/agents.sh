#!/usr/bin/env bash
# Installs the real agent CLIs used by the end-to-end tests into a cache folder, apart from the
# extension's own node_modules: @anthropic-ai/claude-code and @openai/codex, pinned.
# Idempotent: a marker naming both versions makes a second run return at once.
#
# Node: claude-code declares engines node>=22, but its package is only an installer: the
# postinstall (which runs fine on Node 20) copies a native executable from the platform package
# (@anthropic-ai/claude-code-linux-x64) over bin/claude.exe, so `claude` does not run on Node at
# all. codex's bin is a small Node launcher for its native binary (@openai/codex-linux-x64) and
# runs on Node 20. No Node 22 is needed.
set -euo pipefail

CLAUDE_VERSION=2.1.330
CODEX_VERSION=0.169.0
CACHE="${AGENT_METER_CACHE:-$HOME/.cache/agent-meter}"
DEST="$CACHE/agents"
MARKER="$DEST/.installed-claude-$CLAUDE_VERSION-codex-$CODEX_VERSION"
CLAUDE="$DEST/node_modules/.bin/claude"
CODEX="$DEST/node_modules/.bin/codex"

source "$(dirname "$0")/lib/common.sh"

report() {
  echo "claude: $CLAUDE"
  echo "codex:  $CODEX"
}

if [[ -f "$MARKER" && -x "$CLAUDE" && -x "$CODEX" ]]; then
  echo "agents already installed"
  report
  exit 0
fi

command -v npm >/dev/null || fail "npm is not on PATH"
mkdir -p "$DEST"
[[ -f "$DEST/package.json" ]] || echo '{"name":"agent-meter-agents","private":true}' > "$DEST/package.json"

t0=$(ms)
echo "==> npm install @anthropic-ai/claude-code@$CLAUDE_VERSION @openai/codex@$CODEX_VERSION"
npm install --prefix "$DEST" --no-audit --no-fund --loglevel=error \
  "@anthropic-ai/claude-code@$CLAUDE_VERSION" "@openai/codex@$CODEX_VERSION" \
  || fail "npm install of the agent CLIs failed"
echo "    done in $(( ($(ms) - t0) / 1000 ))s"

t0=$(ms)
echo "==> check both run on $(node -v)"
# claude's bin is a placeholder until its postinstall (install.cjs) copies the native binary over
# it; with ignore-scripts set in the user's npm config that never ran, so run it by hand once.
if ! "$CLAUDE" --version >/dev/null 2>&1; then
  echo "    claude did not start; running its postinstall (install.cjs)"
  (cd "$DEST/node_modules/@anthropic-ai/claude-code" && node install.cjs) || fail "claude's install.cjs failed"
fi
v="$("$CLAUDE" --version 2>&1)" || fail "claude --version failed: $v"
echo "    claude --version: $v"
v="$("$CODEX" --version 2>&1)" || fail "codex --version failed: $v"
echo "    codex --version: $v"
echo "    done in $(( ($(ms) - t0) / 1000 ))s"

touch "$MARKER"
report

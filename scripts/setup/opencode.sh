#!/usr/bin/env bash
# Installs the real OpenCode CLI used by the end-to-end tests into a cache folder, apart from the
# extension's own node_modules: opencode-ai, pinned.
# Idempotent: a marker naming the version makes a second run return at once.
#
# opencode-ai ships its native executable as a per-platform optional dependency from the npm
# registry (opencode-linux-x64, opencode-darwin-arm64, ...); bin/opencode.exe is a small Node
# launcher that finds it. Nothing is downloaded from anywhere but the npm registry.
set -euo pipefail

OPENCODE_VERSION=1.18.33
CACHE="${AGENT_METER_CACHE:-$HOME/.cache/agent-meter}"
DEST="$CACHE/opencode"
MARKER="$DEST/.installed-opencode-ai-$OPENCODE_VERSION"
OPENCODE="$DEST/node_modules/.bin/opencode"

fail() { echo "opencode.sh: FAILED: $*" >&2; exit 1; }
trap 'fail "command failed at line $LINENO (see output above)"' ERR
ms() { echo $(( $(date +%s%N) / 1000000 )); }

report() {
  echo "opencode: $OPENCODE"
}

if [[ -f "$MARKER" && -x "$OPENCODE" ]]; then
  echo "opencode-ai already installed"
  report
  exit 0
fi

command -v npm >/dev/null || fail "npm is not on PATH"
mkdir -p "$DEST"
[[ -f "$DEST/package.json" ]] || echo '{"name":"agent-meter-opencode","private":true}' > "$DEST/package.json"
rm -f "$DEST"/.installed-opencode-ai-*

t0=$(ms)
echo "==> npm install opencode-ai@$OPENCODE_VERSION"
npm install --prefix "$DEST" --no-audit --no-fund --loglevel=error \
  "opencode-ai@$OPENCODE_VERSION" \
  || fail "npm install of opencode-ai failed"
echo "    done in $(( ($(ms) - t0) / 1000 ))s"

t0=$(ms)
echo "==> check it runs"
# A scratch home and XDG folders: --version must not create or read the real ~/.local/share/opencode.
scratch="$(mktemp -d)"
v="$(cd "$scratch" && HOME="$scratch" XDG_DATA_HOME="$scratch/data" XDG_CONFIG_HOME="$scratch/config" \
  XDG_STATE_HOME="$scratch/state" XDG_CACHE_HOME="$scratch/cache" OPENCODE_DISABLE_AUTOUPDATE=1 \
  "$OPENCODE" --version 2>&1)" || { rm -rf "$scratch"; fail "opencode --version failed: $v"; }
rm -rf "$scratch"
echo "    opencode --version: $v"
[[ "$v" == *"$OPENCODE_VERSION"* ]] || fail "expected version $OPENCODE_VERSION, got: $v"
echo "    done in $(( ($(ms) - t0) / 1000 ))s"

touch "$MARKER"
report

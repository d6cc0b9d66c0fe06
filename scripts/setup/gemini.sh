#!/usr/bin/env bash
# Installs the real Gemini CLI used by the end-to-end tests into a cache folder, apart from the
# extension's own node_modules: @google/gemini-cli, pinned.
# Idempotent: a marker naming the version makes a second run return at once.
#
# Node: @google/gemini-cli 0.61.0 declares engines node>=20 and its bin (bundle/gemini.js) is
# plain JavaScript, so it runs on the Node 20 here; no native executable is needed.
set -euo pipefail

GEMINI_VERSION=0.61.0
CACHE="${AGENT_METER_CACHE:-$HOME/.cache/agent-meter}"
DEST="$CACHE/gemini"
MARKER="$DEST/.installed-gemini-cli-$GEMINI_VERSION"
GEMINI="$DEST/node_modules/.bin/gemini"

fail() { echo "gemini.sh: FAILED: $*" >&2; exit 1; }
trap 'fail "command failed at line $LINENO (see output above)"' ERR
ms() { echo $(( $(date +%s%N) / 1000000 )); }

report() {
  echo "gemini: $GEMINI"
}

if [[ -f "$MARKER" && -x "$GEMINI" ]]; then
  echo "gemini-cli already installed"
  report
  exit 0
fi

command -v npm >/dev/null || fail "npm is not on PATH"
mkdir -p "$DEST"
[[ -f "$DEST/package.json" ]] || echo '{"name":"agent-meter-gemini","private":true}' > "$DEST/package.json"
rm -f "$DEST"/.installed-gemini-cli-*

t0=$(ms)
echo "==> npm install @google/gemini-cli@$GEMINI_VERSION"
npm install --prefix "$DEST" --no-audit --no-fund --loglevel=error \
  "@google/gemini-cli@$GEMINI_VERSION" \
  || fail "npm install of the Gemini CLI failed"
echo "    done in $(( ($(ms) - t0) / 1000 ))s"

t0=$(ms)
echo "==> check it runs on $(node -v)"
# A scratch home: --version must not create or read ~/.gemini of the person running the setup.
scratch="$(mktemp -d)"
v="$(cd "$scratch" && HOME="$scratch" GEMINI_CLI_HOME="$scratch" GEMINI_CLI_NO_RELAUNCH=true \
  "$GEMINI" --version 2>&1)" || { rm -rf "$scratch"; fail "gemini --version failed: $v"; }
rm -rf "$scratch"
echo "    gemini --version: $v"
[[ "$v" == *"$GEMINI_VERSION"* ]] || fail "expected version $GEMINI_VERSION, got: $v"
echo "    done in $(( ($(ms) - t0) / 1000 ))s"

touch "$MARKER"
report

#!/usr/bin/env bash
# Installs the real OpenCode CLI used by the end-to-end tests into a cache folder, apart from the
# extension's own node_modules: opencode-ai, pinned.
#
# opencode-ai ships its native executable as a per-platform optional dependency from the npm
# registry (opencode-linux-x64, opencode-darwin-arm64, ...); bin/opencode.exe is a small Node
# launcher that finds it. Nothing is downloaded from anywhere but the npm registry.
set -euo pipefail
NAME=opencode
PACKAGE=opencode-ai
VERSION=1.18.33
BIN=opencode
print_version() {
  HOME="$1" XDG_DATA_HOME="$1/data" XDG_CONFIG_HOME="$1/config" XDG_STATE_HOME="$1/state" \
    XDG_CACHE_HOME="$1/cache" OPENCODE_DISABLE_AUTOUPDATE=1 "$EXE" --version
}
source "$(dirname "$0")/lib/npmCli.sh"
install_npm_cli

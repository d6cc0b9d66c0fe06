#!/usr/bin/env bash
# Installs the real Cline CLI used by the end-to-end tests into a cache folder, apart from the
# extension's own node_modules: cline, pinned.
#
# cline 3.0.65 is the SDK-based CLI (@cline/core 0.0.86). bin/cline is a small Node launcher for a
# Bun-compiled executable shipped as a per-platform optional dependency from the npm registry
# (@cline/cli-linux-x64, @cline/cli-darwin-arm64, ...); postinstall.mjs only hard-links it to
# bin/.cline. Nothing is downloaded from anywhere but the npm registry.
#
# postinstall.mjs also sets aside a running hub's discovery record (<data dir>/locks/hub/production.json,
# or $CLINE_HUB_DISCOVERY_PATH) of the installing user; pointing that at a path that cannot exist
# keeps the real ~/.cline untouched.
set -euo pipefail
NAME=cline
PACKAGE=cline
VERSION=3.0.65
BIN=cline
export CLINE_HUB_DISCOVERY_PATH=/nonexistent/agent-meter/cline-hub.json
print_version() {
  HOME="$1" CLINE_DIR="$1/.cline" CLINE_NO_AUTO_UPDATE=1 "$EXE" --version
}
source "$(dirname "$0")/lib/npmCli.sh"
install_npm_cli

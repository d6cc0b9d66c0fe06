#!/usr/bin/env bash
# Installs the real Gemini CLI used by the end-to-end tests into a cache folder, apart from the
# extension's own node_modules: @google/gemini-cli, pinned.
#
# Node: @google/gemini-cli 0.61.0 declares engines node>=20 and its bin (bundle/gemini.js) is
# plain JavaScript, so it runs on the Node 20 here; no native executable is needed.
set -euo pipefail
NAME=gemini
PACKAGE=@google/gemini-cli
VERSION=0.61.0
BIN=gemini
print_version() {
  HOME="$1" GEMINI_CLI_HOME="$1" GEMINI_CLI_NO_RELAUNCH=true "$EXE" --version
}
source "$(dirname "$0")/lib/npmCli.sh"
install_npm_cli

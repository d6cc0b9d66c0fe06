#!/usr/bin/env bash
# Installs code-server 4.100.3 (VS Code 1.100.3, the newest that runs on Node 20) into a cache
# folder, following ../shared/notes/real-editor-and-agents.md. A plain `npm install code-server`
# fails here three ways (root needs --unsafe-perm, kerberos needs libkrb5-dev, @vscode/ripgrep's
# postinstall downloads from GitHub), so scripts are skipped and the native parts rebuilt by hand.
# Idempotent: a marker file written last makes a second run return at once.
set -euo pipefail

VERSION=4.100.3
CACHE="${AGENT_METER_CACHE:-$HOME/.cache/agent-meter}"
DEST="$CACHE/code-server-$VERSION"
MARKER="$DEST/.installed"
ENTRY="$DEST/node_modules/code-server/out/node/entry.js"

source "$(dirname "$0")/lib/common.sh"

if [[ -f "$MARKER" && -f "$ENTRY" ]]; then
  echo "code-server $VERSION already installed: $ENTRY"
  exit 0
fi

command -v node >/dev/null || fail "node is not on PATH"
command -v npm >/dev/null || fail "npm is not on PATH"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
[[ "$node_major" == 20 ]] || echo "editor.sh: warning: code-server $VERSION expects Node 20, found $(node -v)" >&2

stage_start=0
stage() { stage_start=$(ms); echo "==> $*"; }
stage_done() { local d=$(( $(ms) - stage_start )); printf '    done in %d.%ds\n' $((d / 1000)) $((d % 1000 / 100)); }
total_start=$(date +%s)

stage "system packages (libkrb5-dev ripgrep chromium tmux, and a C++ toolchain if missing)"
missing=()
dpkg -s libkrb5-dev >/dev/null 2>&1 || missing+=(libkrb5-dev)
command -v rg >/dev/null || missing+=(ripgrep)
[[ -x /usr/bin/chromium ]] || missing+=(chromium)
# The statusline end-to-end test runs Claude Code interactively in a tmux terminal.
command -v tmux >/dev/null || missing+=(tmux)
# node-gyp (kerberos, node-pty, spdlog, argon2 …) needs a C++ toolchain and Python 3.
{ command -v make && command -v g++; } >/dev/null || missing+=(build-essential)
command -v python3 >/dev/null || missing+=(python3)
if ((${#missing[@]})); then
  SUDO=""; [[ "$(id -u)" == 0 ]] || SUDO="sudo"
  echo "    installing: ${missing[*]}"
  $SUDO apt-get update -qq || fail "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null \
    || fail "apt-get install ${missing[*]} failed"
else
  echo "    already present"
fi
stage_done

stage "npm install code-server@$VERSION --ignore-scripts"
mkdir -p "$DEST"
cd "$DEST"
[[ -f package.json ]] || echo '{"name":"agent-meter-code-server","private":true}' > package.json
npm install "code-server@$VERSION" --ignore-scripts --no-audit --no-fund --loglevel=error \
  || fail "npm install code-server@$VERSION failed"
stage_done

VS="$DEST/node_modules/code-server/lib/vscode"
[[ -d "$VS" ]] || fail "$VS missing after npm install"

stage "lib/vscode dependencies"
cd "$VS"
npm install --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error \
  || fail "npm install in lib/vscode failed"
mkdir -p node_modules/@vscode/ripgrep/bin
cp "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
stage_done

stage "rebuild native modules in lib/vscode"
# Every installed top-level package except @vscode/ripgrep (its install script downloads from GitHub).
# npm_config_yes lets node-pty's post-install run `npx node-gyp` without a prompt.
mapfile -t pkgs < <(node -e '
  const fs = require("fs"), p = require("path");
  const nm = "node_modules", out = [];
  for (const d of fs.readdirSync(nm)) {
    if (d.startsWith(".")) continue;
    if (d.startsWith("@")) for (const s of fs.readdirSync(p.join(nm, d))) out.push(d + "/" + s);
    else out.push(d);
  }
  console.log(out.filter(n => n !== "@vscode/ripgrep").join("\n"));')
npm_config_yes=true npm rebuild "${pkgs[@]}" --loglevel=error || fail "npm rebuild in lib/vscode failed"
[[ -f node_modules/node-pty/build/Release/pty.node ]] || fail "node-pty did not build (see npm rebuild output above)"
ln -sfn node_modules node_modules.asar
ln -sfn code-linux.sh bin/remote-cli/code-server
ln -sfn browser-linux.sh bin/helpers/browser.sh
stage_done

stage "built-in extensions dependencies"
cd "$VS/extensions"
npm install --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error \
  || fail "npm install in lib/vscode/extensions failed"
stage_done

stage "rebuild argon2"
cd "$DEST"
npm_config_yes=true npm rebuild argon2 --loglevel=error || fail "npm rebuild argon2 failed"
stage_done

stage "check"
# XDG_CONFIG_HOME: keep code-server from writing ~/.config/code-server/config.yaml.
out="$(XDG_CONFIG_HOME="$DEST/.config" node "$ENTRY" --version 2>&1)" || fail "code-server --version failed: $out"
echo "    ${out##*$'\n'}"  # last line; code-server may log a config notice first
[[ "$out" == *"$VERSION"* ]] || fail "unexpected version output: $out"
stage_done

date -u +%FT%TZ > "$MARKER"
echo "code-server $VERSION installed in $(( $(date +%s) - total_start ))s: $ENTRY"

#!/usr/bin/env bash
# Installs the reference peer for numbers, ccusage 20.0.24, into a cache folder apart from the
# extension's own node_modules. Not a devDependency: its optional native packages for other
# platforms (darwin, win32, linux-arm64) are not in the registry for this version, so a lock file
# that names it cannot satisfy `npm ci`. 20.0.24 is the last version with a linux-x64 binary.
# Idempotent: a marker makes a second run return at once.
set -euo pipefail

VERSION=20.0.24
CACHE="${AGENT_METER_CACHE:-$HOME/.cache/agent-meter}"
DEST="$CACHE/peer"
MARKER="$DEST/.installed-ccusage-$VERSION"

if [[ -f "$MARKER" && -e "$DEST/node_modules/ccusage/package.json" ]]; then
  chmod +x "$DEST"/node_modules/@ccusage/ccusage-*/bin/ccusage 2>/dev/null || true
  echo "ccusage $VERSION already installed in $DEST"
  exit 0
fi
mkdir -p "$DEST"
[[ -f "$DEST/package.json" ]] || echo '{"name":"agent-meter-peer","private":true}' > "$DEST/package.json"
start=$(date +%s)
(cd "$DEST" && npm install --no-audit --no-fund --no-save "ccusage@$VERSION")
# npm 11 does not run the package's install script unless allowed; the native binary then lacks
# its executable bit.
chmod +x "$DEST"/node_modules/@ccusage/ccusage-*/bin/ccusage 2>/dev/null || true
touch "$MARKER"
echo "ccusage $VERSION installed in $DEST in $(( $(date +%s) - start )) s"

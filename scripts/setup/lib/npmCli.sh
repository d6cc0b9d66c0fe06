# Shared by the single-CLI installers (gemini.sh, opencode.sh, cline.sh): a pinned npm package installed into
# its own cache folder, apart from the extension's node_modules, checked by running `--version`.
# Idempotent: a marker naming the version makes a second run return at once.
#
# The caller sets NAME (folder and messages), PACKAGE, VERSION, BIN (the executable's name) and
# defines `print_version DIR` (runs "$EXE --version" inside the scratch folder DIR, with the
# environment that keeps the real home untouched), then calls install_npm_cli.

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

install_npm_cli() {
  local cache="${AGENT_METER_CACHE:-$HOME/.cache/agent-meter}"
  local dest="$cache/$NAME"
  local marker="$dest/.installed-$VERSION"
  EXE="$dest/node_modules/.bin/$BIN"

  if [[ -f "$marker" && -x "$EXE" ]]; then
    echo "$PACKAGE already installed"
    echo "$BIN: $EXE"
    return 0
  fi

  command -v npm >/dev/null || fail "npm is not on PATH"
  mkdir -p "$dest"
  [[ -f "$dest/package.json" ]] || echo "{\"name\":\"agent-meter-$NAME\",\"private\":true}" > "$dest/package.json"
  rm -f "$dest"/.installed-*

  local t0
  t0=$(ms)
  echo "==> npm install $PACKAGE@$VERSION"
  npm install --prefix "$dest" --no-audit --no-fund --loglevel=error "$PACKAGE@$VERSION" \
    || fail "npm install of $PACKAGE failed"
  echo "    done in $(( ($(ms) - t0) / 1000 ))s"

  t0=$(ms)
  echo "==> check it runs on $(node -v)"
  # A scratch home: --version must not create or read the real home of the person running setup.
  local scratch v
  scratch="$(mktemp -d)"
  v="$(cd "$scratch" && print_version "$scratch" 2>&1)" || { rm -rf "$scratch"; fail "$BIN --version failed: $v"; }
  rm -rf "$scratch"
  echo "    $BIN --version: $v"
  [[ "$v" == *"$VERSION"* ]] || fail "expected version $VERSION, got: $v"
  echo "    done in $(( ($(ms) - t0) / 1000 ))s"

  touch "$marker"
  echo "$BIN: $EXE"
}

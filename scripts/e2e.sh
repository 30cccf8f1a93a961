#!/usr/bin/env bash
# Real-agent end-to-end tests (e2e/): installs the pinned Claude Code, Codex
# CLI and Gemini CLI from npm into a cache directory when missing, builds
# safeclaw, and runs `go test -tags e2e ./e2e/...` with their paths.
#
# A CLI that cannot be installed is skipped by its test (with the reason,
# loudly under CI=true); everything else failing fails this script.
#
# Environment:
#   SAFECLAW_E2E_CACHE  where the CLIs are installed
#                       (default: ${XDG_CACHE_HOME:-$HOME/.cache}/safeclaw-e2e)
#   SAFECLAW_E2E_RUN    a `go test -run` pattern (default: all tests)
#   SAFECLAW_E2E_BIN    a safeclaw binary to test instead of building one
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$(go env GOROOT)/bin:$PATH"

# Pinned versions: the ones ../shared/docs/agent-protocols.md observed.
CLAUDE_CODE_VERSION=2.1.332
CODEX_VERSION=0.169.0
GEMINI_CLI_VERSION=0.61.0

cache="${SAFECLAW_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/safeclaw-e2e}"
mkdir -p "$cache"

# install_cli VAR PACKAGE VERSION FILE: makes sure PACKAGE@VERSION is
# installed under $cache/NAME-VERSION and exports VAR=<prefix>/FILE, or
# VAR_ERROR=<why> when it cannot be installed. A stamp file marks a
# finished install, so an interrupted one is redone.
install_cli() {
  local var=$1 pkg=$2 version=$3 file=$4
  local prefix="$cache/${pkg//[@\/]/_}-$version"
  local stamp="$prefix/.safeclaw-e2e-installed"
  if [ ! -f "$stamp" ] || [ ! -e "$prefix/$file" ]; then
    if ! command -v npm >/dev/null 2>&1; then
      export "${var}_ERROR=npm is not on PATH, so $pkg@$version could not be installed"
      return 0
    fi
    echo "e2e: installing $pkg@$version into $prefix"
    rm -rf "$prefix"
    local start=$SECONDS
    # --ignore-scripts: the CLIs ship their native binaries as packages;
    # no install script is needed (Claude Code's would fetch more).
    if ! npm install --prefix "$prefix" --ignore-scripts --no-audit --no-fund \
        --loglevel=error "$pkg@$version" >"$cache/npm-$var.log" 2>&1; then
      tail -n 20 "$cache/npm-$var.log" >&2
      export "${var}_ERROR=npm install $pkg@$version failed (log: $cache/npm-$var.log)"
      return 0
    fi
    if [ ! -e "$prefix/$file" ]; then
      export "${var}_ERROR=$pkg@$version installed but $file is missing (log: $cache/npm-$var.log)"
      return 0
    fi
    touch "$stamp"
    echo "e2e: installed $pkg@$version in $((SECONDS - start)) s"
  fi
  export "$var=$prefix/$file"
}

install_cli SAFECLAW_E2E_CLAUDE @anthropic-ai/claude-code "$CLAUDE_CODE_VERSION" \
  node_modules/@anthropic-ai/claude-code-linux-x64/claude
install_cli SAFECLAW_E2E_CODEX @openai/codex "$CODEX_VERSION" \
  node_modules/@openai/codex-linux-x64/vendor/x86_64-unknown-linux-musl/bin/codex
install_cli SAFECLAW_E2E_GEMINI @google/gemini-cli "$GEMINI_CLI_VERSION" \
  node_modules/@google/gemini-cli/bundle/gemini.js

if [ -z "${SAFECLAW_E2E_BIN:-}" ]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  echo "e2e: building safeclaw"
  CGO_ENABLED=0 go build -o "$work/safeclaw" ./cmd/safeclaw
  export SAFECLAW_E2E_BIN="$work/safeclaw"
fi

for var in SAFECLAW_E2E_CLAUDE SAFECLAW_E2E_CODEX SAFECLAW_E2E_GEMINI; do
  err_var="${var}_ERROR"
  if [ -n "${!err_var:-}" ]; then
    echo "e2e: WARNING: ${!err_var}; its tests will be skipped" >&2
  fi
done

echo "== go test -tags e2e ./e2e/..."
go test -tags e2e -count=1 -v -timeout 20m ${SAFECLAW_E2E_RUN:+-run "$SAFECLAW_E2E_RUN"} ./e2e/...

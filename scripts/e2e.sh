#!/usr/bin/env bash
# Real-agent end-to-end tests (e2e/): installs the pinned Claude Code, Codex
# CLI and Gemini CLI, and the packages the OpenAI Agents SDK example
# (docs/examples/openai-agents.ts) runs with, from npm into a cache directory
# when missing, builds safeclaw, and runs `go test -tags e2e ./e2e/...` with
# their paths.
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
# The OpenAI Agents SDK example: the SDK version docs/examples/README.md
# names, its peer zod, the openai client it resolved to, and tsx to run .ts.
OPENAI_AGENTS_VERSION=0.20.0
OPENAI_VERSION=7.57.0
ZOD_VERSION=4.6.7
TSX_VERSION=4.23.15

cache="${SAFECLAW_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/safeclaw-e2e}"
mkdir -p "$cache"

# install_npm VAR DIR FILE PACKAGE@VERSION...: makes sure the packages are
# installed under $cache/DIR and exports VAR=$cache/DIR/FILE, or
# VAR_ERROR=<why> when they cannot be installed. A stamp file marks a
# finished install, so an interrupted one is redone.
install_npm() {
  local var=$1 dir=$2 file=$3
  shift 3
  local prefix="$cache/$dir"
  local stamp="$prefix/.safeclaw-e2e-installed"
  if [ ! -f "$stamp" ] || [ ! -e "$prefix/$file" ]; then
    if ! command -v npm >/dev/null 2>&1; then
      export "${var}_ERROR=npm is not on PATH, so $* could not be installed"
      return 0
    fi
    echo "e2e: installing $* into $prefix"
    rm -rf "$prefix"
    local start=$SECONDS
    # --ignore-scripts: the CLIs ship their native binaries as packages;
    # no install script is needed (Claude Code's would fetch more).
    if ! npm install --prefix "$prefix" --ignore-scripts --no-audit --no-fund \
        --loglevel=error "$@" >"$cache/npm-$var.log" 2>&1; then
      tail -n 20 "$cache/npm-$var.log" >&2
      export "${var}_ERROR=npm install $* failed (log: $cache/npm-$var.log)"
      return 0
    fi
    if [ ! -e "$prefix/$file" ]; then
      export "${var}_ERROR=$* installed but $file is missing (log: $cache/npm-$var.log)"
      return 0
    fi
    touch "$stamp"
    echo "e2e: installed $* in $((SECONDS - start)) s"
  fi
  export "$var=$prefix/$file"
}

# install_cli VAR PACKAGE VERSION FILE: one CLI package, under
# $cache/NAME-VERSION.
install_cli() {
  local var=$1 pkg=$2 version=$3 file=$4
  install_npm "$var" "${pkg//[@\/]/_}-$version" "$file" "$pkg@$version"
}

install_cli SAFECLAW_E2E_CLAUDE @anthropic-ai/claude-code "$CLAUDE_CODE_VERSION" \
  node_modules/@anthropic-ai/claude-code-linux-x64/claude
install_cli SAFECLAW_E2E_CODEX @openai/codex "$CODEX_VERSION" \
  node_modules/@openai/codex-linux-x64/vendor/x86_64-unknown-linux-musl/bin/codex
install_cli SAFECLAW_E2E_GEMINI @google/gemini-cli "$GEMINI_CLI_VERSION" \
  node_modules/@google/gemini-cli/bundle/gemini.js
# esbuild's platform binary comes as an optional package, so tsx needs no
# install script either.
install_npm SAFECLAW_E2E_OPENAI_AGENTS \
  "openai-agents-$OPENAI_AGENTS_VERSION-openai-$OPENAI_VERSION-zod-$ZOD_VERSION-tsx-$TSX_VERSION" node_modules \
  "@openai/agents@$OPENAI_AGENTS_VERSION" "openai@$OPENAI_VERSION" \
  "zod@$ZOD_VERSION" "tsx@$TSX_VERSION"

if [ -z "${SAFECLAW_E2E_BIN:-}" ]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  echo "e2e: building safeclaw"
  CGO_ENABLED=0 go build -o "$work/safeclaw" ./cmd/safeclaw
  export SAFECLAW_E2E_BIN="$work/safeclaw"
fi

for var in SAFECLAW_E2E_CLAUDE SAFECLAW_E2E_CODEX SAFECLAW_E2E_GEMINI SAFECLAW_E2E_OPENAI_AGENTS; do
  err_var="${var}_ERROR"
  if [ -n "${!err_var:-}" ]; then
    echo "e2e: WARNING: ${!err_var}; its tests will be skipped" >&2
  fi
done

echo "== go test -tags e2e ./e2e/..."
go test -tags e2e -count=1 -v -timeout 20m ${SAFECLAW_E2E_RUN:+-run "$SAFECLAW_E2E_RUN"} ./e2e/...

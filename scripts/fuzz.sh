#!/usr/bin/env bash
# Runs every fuzz target (go test -fuzz) for FUZZTIME each (default 15s):
# the shell analyser, the policy and YAML parsers, the hook and MCP decoders,
# the audit reader and verifier, and the rest. `go test ./...` runs only
# their seed corpora; this suite searches for new inputs. A failing input is
# printed and left in the package's testdata/fuzz/<target>/ for a seed.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$(go env GOROOT)/bin:$PATH"
fuzztime=${FUZZTIME:-15s}

targets=$(grep -rl --include='*_test.go' '^func Fuzz' . |
  while read -r file; do
    dir=$(dirname "$file")
    sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' "$file" | sed "s|^|$dir |"
  done | sort -u)
[ -n "$targets" ] || { echo "no fuzz targets found"; exit 1; }

failed=0 count=0
while read -r pkg target; do
  count=$((count + 1))
  echo "== $pkg $target ($fuzztime)"
  # -run '^$': the seeds already ran in go test; only the search runs here.
  if ! go test "$pkg" -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" -parallel 2; then
    echo "== $pkg $target FAILED (input saved under $pkg/testdata/fuzz/$target/)"
    failed=$((failed + 1))
  fi
done <<< "$targets"
echo "fuzz targets: $count run, $failed failed"
[ "$failed" -eq 0 ]

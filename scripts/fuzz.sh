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

log=$(mktemp)
trap 'rm -f "$log"' EXIT

# fuzz runs one target; -run '^$': the seeds already ran in go test, only
# the search runs here. A short -fuzzminimizetime keeps the engine from
# being cut off by -fuzztime while it shrinks a new interesting input.
fuzz() {
  go test "$1" -run '^$' -fuzz "^${2}\$" -fuzztime "$fuzztime" -fuzzminimizetime 2s -parallel 2 2>&1 | tee "$log"
  return "${PIPESTATUS[0]}"
}

failed=0 count=0
while read -r pkg target; do
  count=$((count + 1))
  echo "== $pkg $target ($fuzztime)"
  if fuzz "$pkg" "$target"; then
    continue
  fi
  if ! grep -q 'Failing input written' "$log"; then
    # A failure of the engine itself (go test's "context deadline
    # exceeded" when -fuzztime ends mid-step), not of the target: every
    # failing input is written down. Once more before it counts.
    echo "== $pkg $target: the fuzzing engine failed without an input; once more"
    if fuzz "$pkg" "$target"; then
      continue
    fi
  fi
  echo "== $pkg $target FAILED (input saved under $pkg/testdata/fuzz/$target/)"
  failed=$((failed + 1))
done <<< "$targets"
echo "fuzz targets: $count run, $failed failed"
[ "$failed" -eq 0 ]

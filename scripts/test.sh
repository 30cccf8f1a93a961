#!/usr/bin/env bash
# Runs every test safeclaw has: vet, the hermetic unit and CLI tests, and the
# public contract check when ../shared/checks exists. `.ci/run` calls this.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$(go env GOROOT)/bin:$PATH"

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi
echo "== go vet"
go vet ./...
echo "== go test"
go test -count=1 ./...
if [ -f ../shared/checks/contract.sh ]; then
  echo "== contract"
  bash ../shared/checks/contract.sh
fi

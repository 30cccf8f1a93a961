#!/usr/bin/env bash
# Measures the start-up floor of a safeclaw hook call: how long a process
# takes that links the dependencies the brief names and does nothing else,
# beside a trivial Go binary and `safeclaw hook claude` itself. Each binary
# prints {} and exits; they run interleaved, RUNS times each, in rounds, and
# the median wall time of each is printed (fork+exec+wait, as an agent does).
#
#   scripts/startup-floor.sh [RUNS]     (default 300; about a minute)
#
# Nothing here is part of the tests: it is the evidence behind the hook
# latency figure in docs/integrations.md.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-300}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# One do-nothing main per dependency set, in a module that uses this
# repository's go.mod and go.sum, so the versions are the ones safeclaw links.
mkdir -p "$work/mod"
sed 's#^module .*#module startupfloor#' go.mod >"$work/mod/go.mod"
cp go.sum "$work/mod/go.sum"
main() { # name imports...
  local name=$1; shift
  mkdir -p "$work/mod/$name"
  {
    echo 'package main'
    echo 'import ('
    echo '	"os"'
    for p in "$@"; do echo "	_ \"$p\""; done
    echo ')'
    echo 'func main() { os.Stdout.WriteString("{}\n") }'
  } >"$work/mod/$name/main.go"
}
main trivial
main mcp-sdk github.com/modelcontextprotocol/go-sdk/mcp
main sqlite modernc.org/sqlite
main shell-parser mvdan.cc/sh/v3/syntax
main yaml go.yaml.in/yaml/v3
main landlock github.com/landlock-lsm/go-landlock/landlock
main all-required github.com/modelcontextprotocol/go-sdk/mcp modernc.org/sqlite \
  mvdan.cc/sh/v3/syntax go.yaml.in/yaml/v3 github.com/landlock-lsm/go-landlock/landlock golang.org/x/sys/unix
names=(trivial mcp-sdk sqlite shell-parser yaml landlock all-required)
for n in "${names[@]}"; do
  (cd "$work/mod" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -o "$work/$n" "./$n")
done
CGO_ENABLED=0 go build -o "$work/safeclaw" ./cmd/safeclaw

# The hook's payload and a private home: the built-in policy, a durable
# audit trail in a fresh state directory.
payload='{"session_id":"s","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"python -m http.server 8080"},"cwd":"/srv/project"}'
printf '%s' "$payload" >"$work/payload.json"
mkdir -p "$work/home"

mkdir -p "$work/timer"
cat >"$work/timer/main.go" <<'EOF'
// timer runs each command line of its arguments (separated by ::) in turn,
// stdin from a file, for a number of rounds, and prints each one's median.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"time"
)

func main() {
	runs, _ := strconv.Atoi(os.Args[1])
	stdin := os.Args[2]
	var cmds [][]string
	cur := []string{}
	for _, a := range os.Args[3:] {
		if a == "::" {
			cmds, cur = append(cmds, cur), []string{}
			continue
		}
		cur = append(cur, a)
	}
	cmds = append(cmds, cur)
	times := make([][]time.Duration, len(cmds))
	for r := 0; r < runs; r++ {
		for i, c := range cmds {
			in, err := os.Open(stdin)
			if err != nil {
				panic(err)
			}
			cmd := exec.Command(c[0], c[1:]...)
			cmd.Stdin = in
			start := time.Now()
			err = cmd.Run()
			times[i] = append(times[i], time.Since(start))
			in.Close()
			if err != nil {
				// safeclaw denies this payload: exit 0 with its deny answer
				// for Claude Code. Anything else is a broken measurement.
				fmt.Fprintf(os.Stderr, "%v: %v\n", c, err)
				os.Exit(1)
			}
		}
	}
	for i, c := range cmds {
		slices.Sort(times[i])
		fmt.Printf("%-40s median %6.2f ms\n", fmt.Sprint(c), float64(times[i][len(times[i])/2].Microseconds())/1000)
	}
}
EOF
(cd "$work/timer" && go mod init timer >/dev/null 2>&1 && go build -o "$work/timerbin" .)

args=()
for n in "${names[@]}"; do args+=("$work/$n" ::); done
args+=("$work/safeclaw" hook claude)
env -u XDG_CONFIG_HOME -u XDG_STATE_HOME HOME="$work/home" \
  "$work/timerbin" "$runs" "$work/payload.json" "${args[@]}" | sed "s#$work/##g"

#!/bin/sh
# Browser tests of the dashboard: headless chromium against a live server.
# Installs Debian's chromium when it is missing and we are root.
# Screenshots go to $SAFECLAW_SCREENSHOTS (default: ./browser-screenshots).
set -eu
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null 2>&1; then
	if [ "$(id -u)" = 0 ]; then
		apt-get install -y chromium >/dev/null || { apt-get update >/dev/null && apt-get install -y chromium >/dev/null; }
	else
		echo "browser.sh: chromium is not installed (apt-get install chromium)" >&2
		exit 1
	fi
fi
SAFECLAW_SCREENSHOTS=${SAFECLAW_SCREENSHOTS:-$PWD/browser-screenshots}
export SAFECLAW_SCREENSHOTS
go test -tags browser -run TestBrowser -count=1 -v ./dashboard
# The scenario builds cmd/safeclaw and runs `safeclaw ui` and `safeclaw hook
# claude --ask wait` as separate processes.
echo "screenshots: $SAFECLAW_SCREENSHOTS"

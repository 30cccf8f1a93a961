// Package e2e runs the real agent CLIs (Claude Code, Codex CLI, Gemini CLI)
// against safeclaw's hooks, offline: each CLI talks to a mock model API
// written in Go on 127.0.0.1, which asks for three shell commands (a
// listening server, a harmless command, a command under an "ask" rule), and
// the tests check what ran, what the model was told and what the audit
// trail holds. It also runs the OpenAI Agents SDK (TypeScript) example of
// docs/examples against safeclaw serve and a mock Responses API.
//
// The tests sit behind the build tag e2e, so the default `go test ./...`
// never runs them; scripts/e2e.sh installs the pinned CLIs from npm into a
// cache directory, builds safeclaw and runs them. See README.md beside this
// file for the environment variables and what each test asserts.
//
// Current limitations: Cursor has no installable CLI and is not covered; the
// mocks speak only the subset of each vendor's streaming API those CLI
// versions use; a CLI whose npm package cannot be installed is skipped.
package e2e

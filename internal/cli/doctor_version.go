package cli

// codexHooksVerified is the Codex release safeclaw's Codex hooks, and the
// trust it records for them (hooks.state trusted_hash), are verified
// against. An older Codex may have no hooks, hooks behind a feature that
// is off by default, or another trust format: each skips safeclaw's hook
// without a word and runs the tool call.
var codexHooksVerified = [3]int{0, 169, 0}

// checkAgentVersion fails an agent version too old to run safeclaw's
// hooks as installed (Claude Code's onFailure is checked where its hooks
// are found).
func checkAgentVersion(agent, version string, installed bool, r doctorReport) {
	v, ok := parseVersion(version)
	if !ok || !installed {
		return
	}
	if agent == "codex" && versionLess(v, codexHooksVerified) {
		r.bad("upgrade Codex (npm install -g @openai/codex)",
			"codex: version %d.%d.%d is older than %d.%d.%d, which safeclaw's hooks and their trust records are verified with: an older Codex may skip them without a word (no hooks, hooks off by default, or another trust format) and run every tool call unchecked",
			v[0], v[1], v[2], codexHooksVerified[0], codexHooksVerified[1], codexHooksVerified[2])
	}
}

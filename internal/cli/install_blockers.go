package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/pelletier/go-toml/v2"

	"github.com/safeclaw/safeclaw/hook"
)

// installBlockers lists what, outside the settings file at path that install
// just wrote (content out), stops the agent from running safeclaw's hooks
// there: managed settings that only let managed hooks run
// (allowManagedHooksOnly, allow_managed_hooks_only), disableAllHooks in
// another Claude Code layer, Codex's hooks feature switched off, Gemini's
// hooks switched off in its system layers. These are the same checks
// 'safeclaw doctor' makes; install reports them at once rather than exit 0
// over hooks that never run.
func (e *Env) installBlockers(agent, path string, managed bool, out []byte, binName string) []string {
	var found []string
	r := doctorReport{
		ok:   func(string, ...any) {},
		note: func(string, ...any) {},
		bad:  func(_, format string, a ...any) { found = append(found, fmt.Sprintf(format, a...)) },
	}
	scope := ""
	for _, s := range []string{"user", "project", "managed"} {
		if p, err := e.settingsPath(agent, s == "project", s == "managed"); err == nil && filepath.Clean(p) == filepath.Clean(path) {
			scope = s
			break
		}
	}
	if scope == "" {
		return nil // --settings with a file of its own: where it is loaded is not known
	}
	if agent == "codex" && managed {
		e.checkCodexFeature(r)
		return found
	}
	hs, err := hook.InstalledHandlers(agent, agentSettingsJSON(agent, out), binName)
	if err != nil || len(hs) == 0 {
		return nil
	}
	places := map[string]hookPlace{scope: {path, hs}}
	// The other layers' switches, as doctor reads them.
	var others []string
	if !managed {
		for _, s := range []string{"user", "project", "managed"} {
			if p, err := e.settingsPath(agent, s == "project", s == "managed"); err == nil && s != scope && filepath.Clean(p) != filepath.Clean(path) {
				others = append(others, p)
			}
		}
	}
	switch agent {
	case "claude":
		if managed {
			others = append(others, e.claudeManagedDropIns()...)
		} else {
			others = append(others, e.claudeExtraSettings()...)
		}
	case "codex", "cursor":
		others = nil // their hooks files have no switch; Codex's is in config.toml
	}
	seen := map[string]bool{filepath.Clean(path): true}
	for _, p := range others {
		if seen[filepath.Clean(p)] {
			continue
		}
		seen[filepath.Clean(p)] = true
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		for _, w := range hook.SettingsWarnings(agent, agentSettingsJSON(agent, data)) {
			found = append(found, fmt.Sprintf("%s: %s: %s", agent, p, w))
		}
	}
	switch agent {
	case "claude":
		if !managed {
			e.checkClaudeManagedOnly(places, binName, r)
		}
	case "codex":
		e.checkCodexManagedOnly(places, binName, r)
		e.checkCodexFeature(r)
		if scope == "project" {
			if w := e.codexProjectUntrusted(path); w != "" {
				found = append(found, w)
			}
		}
	case "gemini":
		e.checkGeminiLayers(places, binName, r)
	}
	return found
}

// codexProjectUntrusted says why Codex would not load the project hooks
// file at hooksPath ("" when it would): Codex reads a project's .codex
// layer only in a project config.toml marks trusted
// ([projects."DIR"] trust_level = "trusted", for the project's directory or
// one above it, such as the repository's root).
func (e *Env) codexProjectUntrusted(hooksPath string) string {
	cfg, err := e.codexUserConfig()
	if err != nil {
		return ""
	}
	data, err := os.ReadFile(cfg)
	if err != nil && !os.IsNotExist(err) {
		return ""
	}
	var doc struct {
		Projects map[string]struct {
			TrustLevel string `toml:"trust_level"`
		} `toml:"projects"`
	}
	if toml.Unmarshal(data, &doc) != nil {
		return "" // reported with the trust check
	}
	proj := filepath.Dir(filepath.Dir(hooksPath))
	dirs := []string{proj}
	if real, err := filepath.EvalSymlinks(proj); err == nil && real != proj {
		dirs = append(dirs, real)
	}
	for _, d := range dirs {
		for p := filepath.Clean(d); ; p = filepath.Dir(p) {
			if entry, ok := doc.Projects[p]; ok {
				if entry.TrustLevel == "trusted" {
					return ""
				}
				return fmt.Sprintf("codex: %s marks %s %q: Codex does not load %s there, safeclaw's hooks included: no tool call is checked", cfg, p, entry.TrustLevel, hooksPath)
			}
			if filepath.Dir(p) == p {
				break
			}
		}
	}
	return fmt.Sprintf("codex: %s does not mark %s trusted ([projects.%q] trust_level = \"trusted\"): Codex loads %s only in a trusted project, so until you trust it no tool call is checked", cfg, proj, proj, hooksPath)
}

package cli

import (
	"strings"

	"github.com/safeclaw/safeclaw/hook"
)

// keptHookOptions are the options ('safeclaw hook' flags) of the hook
// safeclaw already installed in an agent's settings (data), which a new
// install keeps: installing again without --ask over an install with
// --ask wait must not quietly turn the waiting off. --ask is left out when
// askGiven (the command line says otherwise). Only --ask and --run are
// kept: settings can come from a cloned project, and a planted --policy
// (which replaces the user's policy) or a --timeout beyond the agent's own
// must not survive a re-install. dropped are the words not kept.
func keptHookOptions(agent string, data []byte, binName string, askGiven bool) (kept, dropped []string) {
	hs, err := hook.InstalledHandlers(agent, data, binName)
	if err != nil {
		return nil, nil
	}
	for _, h := range hs {
		if len(h.Command) >= 3 && h.Command[1] == "hook" && h.Command[2] == agent {
			return hookOptions(h.Command[3:], askGiven)
		}
	}
	return nil, nil
}

func hookOptions(words []string, askGiven bool) (kept, dropped []string) {
	for i := 0; i < len(words); i++ {
		w := words[i]
		if !strings.HasPrefix(w, "-") || w == "-" || w == "--" {
			dropped = append(dropped, w)
			continue
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(w, "-"), "=")
		switch name {
		case "run":
			kept = append(kept, w)
		case "ask":
			if !hasVal {
				if i+1 >= len(words) {
					dropped = append(dropped, w)
					continue
				}
				i++
				val = words[i]
			}
			if askGiven {
				continue
			}
			if _, err := hook.ParseAskMode(val); err != nil || val == "" {
				dropped = append(dropped, w, val)
				continue
			}
			kept = append(kept, "--"+name, val)
		default:
			dropped = append(dropped, w)
		}
	}
	return kept, dropped
}

// editHookSettings is hook.EditSettings, or, for an uninstall that knows
// what the install found, hook.UninstallSettings.
func editHookSettings(agent string, old []byte, argv []string, uninstall bool, found hook.Found, useFound bool) ([]byte, bool, error) {
	if uninstall && useFound {
		return hook.UninstallSettings(agent, old, argv, found)
	}
	return hook.EditSettings(agent, old, argv, uninstall)
}

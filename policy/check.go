package policy

import (
	"fmt"
	"strings"

	"github.com/safeclaw/safeclaw/action"
	"github.com/safeclaw/safeclaw/internal/strictyaml"
)

// Which facet fields each kind can carry. A rule whose matchers need a field
// that none of its kinds has can match nothing, and is refused.
var (
	// Kinds that come from shell parts, so that views exist.
	viewKinds = kindSet{action.ShellExecute, action.ShellOpaque, action.ShellRemote,
		action.NetworkListen, action.NetworkBind, action.NetworkConnect, action.NetworkTunnel,
		action.FileRead, action.FileWrite, action.FileDelete, action.HTTPRequest, action.AgentSpawn}
	portKinds   = kindSet{action.NetworkListen, action.NetworkBind, action.NetworkConnect, action.NetworkTunnel, action.HTTPRequest, action.ShellRemote}
	hostKinds   = kindSet{action.NetworkListen, action.NetworkBind, action.NetworkConnect, action.NetworkTunnel, action.HTTPRequest, action.ShellRemote}
	pathKinds   = kindSet{action.FileRead, action.FileWrite, action.FileDelete}
	urlKinds    = kindSet{action.HTTPRequest, action.WebSearch, action.MCPCall, action.NetworkConnect}
	uriKinds    = kindSet{action.MCPRead}
	serverKinds = kindSet{action.MCPCall, action.MCPRead, action.MCPPrompt, toolKinds}
)

// toolKinds stands for every open-ended tool.<name> kind.
const toolKinds action.Kind = "tool.*"

// kindSet is a set of kinds: a list, built without code at start-up (a
// map would be built by every process, hooks included) and as quick to
// search for a dozen kinds.
type kindSet []action.Kind

func (s kindSet) has(k action.Kind) bool {
	for _, x := range s {
		if x == k {
			return true
		}
	}
	return false
}

// matcherKinds says which kinds a matcher key applies to; nil = all.
// "args" is the list form (command words); "args map" the mapping form.
func matcherKinds(key string) (kindSet, string) {
	switch key {
	case "args map":
		return argKinds, "mcp.call, mcp.prompt and tool.* actions (tool arguments)"
	case "uri":
		return uriKinds, "mcp.read"
	case "command_pattern", "command_regex", "program", "args":
		return viewKinds, "shell commands (shell.*, network.*, file.*, http.request, agent.spawn)"
	case "port":
		return portKinds, "network.*, http.request and shell.remote"
	case "host":
		return hostKinds, "network.*, http.request and shell.remote"
	case "path":
		return pathKinds, "file.read, file.write and file.delete"
	case "url":
		return urlKinds, "http.request, web.search, mcp.call and network.connect"
	case "server":
		return serverKinds, "mcp.call, mcp.read, mcp.prompt and tool.* actions"
	}
	return nil, ""
}

// candidateKinds lists the kinds the rule's action can match; tool.<name>
// kinds are represented by toolKinds.
func (r *rule) candidateKinds() []action.Kind {
	var out []action.Kind
	for _, k := range action.Kinds {
		if r.matchKind(k) {
			out = append(out, k)
		}
	}
	for _, g := range r.kinds {
		if strings.HasPrefix(g.pat, "tool.") || (!g.lit && kindGlobMatchesSomething(g) && strings.HasPrefix("tool.", strings.SplitN(g.pat, "*", 2)[0])) {
			out = append(out, toolKinds)
			break
		}
	}
	return out
}

// checkSatisfiable refuses a rule that can match nothing: a matcher for a
// field none of its actions carry (port on shell.execute), or matchers that
// no single action carries together.
func (r *rule) checkSatisfiable(n *strictyaml.Node) error {
	// command_pattern and program must hold on the same view: patterns
	// whose program no program: glob accepts can never match.
	if len(r.patterns) > 0 && len(r.programs) > 0 {
		possible := false
		for _, p := range r.patterns {
			if !p.prog.lit {
				possible = true
				break
			}
			for _, g := range r.programs {
				if g.match(p.prog.pat) {
					possible = true
					break
				}
			}
		}
		if !possible {
			return n.Key("program").Errorf("a command_pattern's first word is its program: drop program:, or make them agree",
				"no command_pattern names a program that program: allows, so this rule can match nothing")
		}
	}
	cands := r.candidateKinds()
	present := []string{}
	for _, k := range n.Keys {
		key := k.Value
		if key == "args" && len(r.argm) > 0 {
			key = "args map"
		}
		if ks, _ := matcherKinds(key); ks != nil {
			present = append(present, key)
		}
	}
	for _, key := range present {
		ks, desc := matcherKinds(key)
		ok := false
		for _, c := range cands {
			if ks.has(c) {
				ok = true
				break
			}
		}
		if !ok {
			hint := fmt.Sprintf("only %s have a %s", desc, strings.ReplaceAll(key, "_", " "))
			at := key
			if key == "args map" {
				at = "args"
				hint = "only " + desc + " have argument values; a list of words matches shell commands"
			}
			if r.implied {
				hint += "; this rule's action is shell.execute because it has a command matcher"
			}
			return n.Key(at).Errorf(hint, "%s never matches action %s, so this rule can match nothing", at, strings.Join(r.kindsRaw, ", "))
		}
	}
	for _, c := range cands {
		all := true
		for _, key := range present {
			if ks, _ := matcherKinds(key); !ks.has(c) {
				all = false
				break
			}
		}
		if all {
			return nil
		}
	}
	for i := range present {
		if present[i] == "args map" {
			present[i] = "args (a mapping)"
		}
	}
	return n.Errorf("split it into one rule per action", "no single action has all of %s, so this rule can match nothing", strings.Join(present, ", "))
}

// ruleCanon is a rule in canonical form: what Policy.Hash covers and
// Canonical prints.
type ruleCanon struct {
	Name           string         `json:"name,omitempty"`
	Description    string         `json:"description,omitempty"`
	Action         []string       `json:"action"`
	CommandPattern []string       `json:"command_pattern,omitempty"`
	CommandRegex   []string       `json:"command_regex,omitempty"`
	Program        []string       `json:"program,omitempty"`
	Args           []string       `json:"args,omitempty"`
	Port           []string       `json:"port,omitempty"`
	Host           []string       `json:"host,omitempty"`
	Path           []string       `json:"path,omitempty"`
	URL            []string       `json:"url,omitempty"`
	Tool           []string       `json:"tool,omitempty"`
	Server         []string       `json:"server,omitempty"`
	URI            []string       `json:"uri,omitempty"`
	ArgValues      []argCanon     `json:"arg_values,omitempty"`
	Agent          []string       `json:"agent,omitempty"`
	Effect         string         `json:"effect"`
	HumanApproval  bool           `json:"human_approval,omitempty"`
	Expires        string         `json:"expires,omitempty"`
	Schedule       *scheduleCanon `json:"schedule,omitempty"`
	Timeout        string         `json:"timeout,omitempty"`
	Quorum         int            `json:"quorum,omitempty"`
	Approvers      []string       `json:"approvers,omitempty"`
	Reason         string         `json:"reason,omitempty"`
}

type scheduleCanon struct {
	Days     []string `json:"days,omitempty"`
	Hours    string   `json:"hours,omitempty"`
	Timezone string   `json:"timezone"`
}

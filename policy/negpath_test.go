package policy

import (
	"strings"
	"testing"

	"github.com/safeclaw/safeclaw/action"
)

// A path glob written !GLOB leaves the paths it matches out of the rule.
func TestNegatedPaths(t *testing.T) {
	p := mustCompile(t, Options{Home: "/home/u", Workspace: "/home/u/proj"}, `
version: 1
default: allow
rules:
  - name: keep out of ~/.ssh
    action: file.read
    path: ["~/.ssh/**", "!~/.ssh/*.pub"]
    effect: deny
  - name: writes outside the project
    action: [file.write, file.delete]
    path: ["!${workspace}/**", "!/tmp/**"]
    effect: deny
`)
	req := func(k action.Kind, path string, recursive bool) *action.Request {
		return &action.Request{Cwd: "/home/u/proj", Parts: []action.Part{{Facets: []action.Action{{Kind: k, Path: path, Recursive: recursive}}}}}
	}
	for _, tc := range []struct {
		name string
		req  *action.Request
		want action.Effect
		rule string
	}{
		{"a private key", req(action.FileRead, "/home/u/.ssh/id_ed25519", false), action.Deny, "keep out of ~/.ssh"},
		{"a public key is left out", req(action.FileRead, "/home/u/.ssh/id_ed25519.pub", false), action.Allow, "default"},
		{"a write in the project", req(action.FileWrite, "/home/u/proj/main.go", false), action.Allow, "default"},
		{"the project itself", req(action.FileWrite, "/home/u/proj", false), action.Allow, "default"},
		{"a write in /tmp", req(action.FileWrite, "/tmp/x", false), action.Allow, "default"},
		{"a write in home", req(action.FileWrite, "/home/u/notes.md", false), action.Deny, "writes outside the project"},
		{"a sibling named like the project", req(action.FileWrite, "/home/u/proj-old/x", false), action.Deny, "writes outside the project"},
		{"a delete of the project's parent", req(action.FileDelete, "/home/u", true), action.Deny, "writes outside the project"},
		// A relative path is one whose place the analyser lost (cd $X):
		// for a deny rule, it may lie outside.
		{"a relative path, place unknown", &action.Request{Cwd: "/home/u/proj", Parts: []action.Part{{Facets: []action.Action{{Kind: action.FileWrite, Path: "x", Detail: "path not known statically: x"}}}}}, action.Deny, "writes outside the project"},
		{"a relative path, anchored at the request's cwd", req(action.FileWrite, "x", false), action.Allow, "default"},
		{"an unknown start", &action.Request{Parts: []action.Part{{Facets: []action.Action{{Kind: action.FileWrite, Path: "$X/y"}}}}}, action.Deny, "writes outside the project"},
	} {
		d := p.Decide(tc.req)
		name := "default"
		if d.Rule != nil {
			name = d.Rule.Name
		}
		if d.Effect != tc.want || name != tc.rule {
			t.Errorf("%s: %v by %q, want %v by %q", tc.name, d.Effect, name, tc.want, tc.rule)
		}
	}
}

// An allow rule made only of !GLOBs does not reach a path whose place is
// unknown (a relative path without a working directory).
func TestNegatedPathsAllowUnknownPlace(t *testing.T) {
	p := mustCompile(t, Options{Home: "/home/u", Workspace: "/home/u/proj"}, `
version: 1
default: deny
rules:
  - name: writes but not in etc
    action: file.write
    path: "!/etc/**"
    effect: allow
`)
	for path, want := range map[string]action.Effect{"/srv/x": action.Allow, "/etc/passwd": action.Deny, "rel/x": action.Deny} {
		d := p.Decide(&action.Request{Parts: []action.Part{{Facets: []action.Action{{Kind: action.FileWrite, Path: path}}}}})
		if d.Effect != want {
			t.Errorf("%s: %v, want %v", path, d.Effect, want)
		}
	}
}

func TestNegatedPathErrors(t *testing.T) {
	for src, want := range map[string]string{
		`{path: "!", action: file.write, effect: deny}`:        "empty path glob after '!'",
		`{path: "!~x/**", action: file.write, effect: deny}`:   "unsupported ~user",
		`{path: "!a//b", action: file.write, effect: deny}`:    "empty segment",
		`{path: "!$HOME/x", action: file.write, effect: deny}`: "unknown variable",
	} {
		_, err := Parse("p.yaml", []byte("version: 1\nrules:\n  - "+src+"\n"))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", src, err, want)
		}
	}
}

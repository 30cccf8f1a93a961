package classify

import (
	"strings"

	"github.com/safeclaw/safeclaw/action"
)

// patchParts gates Codex's apply_patch: every file the patch adds, updates,
// deletes or moves is its own part (file.write, or file.delete for a
// deletion and for a move's source). Paths are relative to the call's
// workdir, else the agent's cwd. A patch safeclaw cannot read is
// tool.apply_patch, denied unless a rule allows it. The second result is the
// call's display text: what the patch does to which canonical path.
func patchParts(c Call, in args) ([]action.Part, string) {
	base := c.Cwd
	if d, ok := in.str("workdir"); ok && d != "" {
		base = CanonicalPath(d, c.Cwd, c.Home)
	}
	var text string
	for _, s := range in.strings() {
		if strings.Contains(s, "*** Begin Patch") {
			text = s
			break
		}
	}
	ops := patchFiles(text)
	if len(ops) == 0 {
		return []action.Part{unknown(c, in, "apply_patch input without a readable patch")}, ""
	}
	parts := make([]action.Part, 0, len(ops))
	display := make([]string, 0, len(ops))
	for _, op := range ops {
		a := action.Action{Kind: op.kind, Path: CanonicalPath(op.path, base, c.Home), Tool: c.Tool, Detail: op.detail}
		parts = append(parts, action.Part{Facets: []action.Action{a}})
		display = append(display, op.verb+" "+a.Path)
	}
	return parts, c.Tool + ": " + strings.Join(display, "; ")
}

type patchOp struct {
	kind   action.Kind
	verb   string
	path   string
	detail string
}

// patchFiles reads the file headers of a Codex patch envelope.
func patchFiles(text string) []patchOp {
	var ops []patchOp
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimRight(line, "\r")
		for _, h := range [...]struct {
			prefix string
			kind   action.Kind
			verb   string
			detail string
		}{
			{"*** Add File: ", action.FileWrite, "add", "apply_patch adds the file"},
			{"*** Update File: ", action.FileWrite, "update", "apply_patch updates the file"},
			{"*** Delete File: ", action.FileDelete, "delete", "apply_patch deletes the file"},
			{"*** Move to: ", action.FileWrite, "move to", "apply_patch moves a file here"},
		} {
			if p, ok := strings.CutPrefix(line, h.prefix); ok && strings.TrimSpace(p) != "" {
				if h.prefix == "*** Move to: " && len(ops) > 0 {
					// The moved file's old path disappears.
					ops[len(ops)-1].kind = action.FileDelete
					ops[len(ops)-1].verb = "move"
					ops[len(ops)-1].detail = "apply_patch moves the file away"
				}
				ops = append(ops, patchOp{kind: h.kind, verb: h.verb, path: strings.TrimSpace(p), detail: h.detail})
			}
		}
	}
	return ops
}

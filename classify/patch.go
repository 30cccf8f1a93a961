package classify

import (
	"strings"
	"unicode"

	"github.com/safeclaw/safeclaw/action"
)

// patchParts gates Codex's apply_patch: every file the patch adds, updates,
// deletes or moves is its own part (file.write, or file.delete for a
// deletion and for a move's source). Every string argument holding a patch
// envelope is read, not only the first: which one Codex applies is not
// safeclaw's guess to make. Relative paths are resolved against the agent's
// cwd and, when the call names one, its workdir (both, when they differ).
// A patch safeclaw cannot read is tool.apply_patch, denied unless a rule
// allows it. The second result is the call's display text: what the patch
// does to which canonical path.
func patchParts(c Call, in args) ([]action.Part, string) {
	var ops []patchOp
	for _, s := range in.strings() {
		if strings.Contains(s, "*** Begin Patch") {
			ops = append(ops, patchFiles(s)...)
		}
	}
	if len(ops) == 0 {
		return []action.Part{unknown(c, in, "apply_patch input without a readable patch")}, ""
	}
	bases := dirsOf(c, in, nil, []string{"workdir"})
	parts := make([]action.Part, 0, len(ops))
	display := make([]string, 0, len(ops))
	type key struct {
		kind action.Kind
		path string
	}
	seen := map[key]bool{}
	for _, op := range ops {
		if strings.IndexByte(op.path, 0) >= 0 {
			return []action.Part{unknown(c, in, "apply_patch path with a NUL byte: "+strconvQuote(op.path))}, ""
		}
		for _, base := range bases {
			a := action.Action{Kind: op.kind, Path: CanonicalPath(op.path, base, c.Home), Tool: c.Tool, Detail: op.detail}
			if seen[key{a.Kind, a.Path}] {
				continue
			}
			seen[key{a.Kind, a.Path}] = true
			parts = append(parts, action.Part{Facets: []action.Action{a}})
			display = append(display, op.verb+" "+a.Path)
		}
	}
	return parts, c.Tool + ": " + strings.Join(display, "; ")
}

type patchOp struct {
	kind   action.Kind
	verb   string
	path   string
	detail string
}

// patchHeaders are the file headers of a Codex patch envelope.
var patchHeaders = [...]struct {
	prefix string
	kind   action.Kind
	verb   string
	detail string
}{
	{"*** Add File: ", action.FileWrite, "add", "apply_patch adds the file"},
	{"*** Update File: ", action.FileWrite, "update", "apply_patch updates the file"},
	{"*** Delete File: ", action.FileDelete, "delete", "apply_patch deletes the file"},
	{"*** Move to: ", action.FileWrite, "move to", "apply_patch moves a file here"},
}

// patchFiles reads the file headers of a Codex patch envelope. Codex's
// parser is lenient: it trims each header line (leading and trailing
// white space, Unicode's as Rust's str::trim) before reading the marker,
// and takes the rest as the path. safeclaw reads a header the same way,
// and also in any letter case and wherever it stands (a header line that
// Codex reads as content is gated anyway): a file Codex would touch must
// never be missed. A path with white space at either end is gated both as
// written and trimmed.
func patchFiles(text string) []patchOp {
	var ops []patchOp
	last := 0 // where the ops of the last header start
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimFunc(line, unicode.IsSpace)
		for _, h := range patchHeaders {
			if len(line) < len(h.prefix) || !strings.EqualFold(line[:len(h.prefix)], h.prefix) {
				continue
			}
			p := line[len(h.prefix):]
			if strings.TrimFunc(p, unicode.IsSpace) == "" {
				continue
			}
			if h.verb == "move to" {
				// The moved file's old path disappears.
				for i := last; i < len(ops); i++ {
					ops[i].kind = action.FileDelete
					ops[i].verb = "move"
					ops[i].detail = "apply_patch moves the file away"
				}
			}
			last = len(ops)
			ops = append(ops, patchOp{kind: h.kind, verb: h.verb, path: p, detail: h.detail})
			if t := strings.TrimFunc(p, unicode.IsSpace); t != p {
				ops = append(ops, patchOp{kind: h.kind, verb: h.verb, path: t, detail: h.detail})
			}
		}
	}
	return ops
}

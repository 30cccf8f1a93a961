package mcpproxy

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/safeclaw/safeclaw/internal/filelock"
)

// Pins records one server's tool definitions (trust on first use): the
// first time a tool is seen, a hash of its definition is pinned; a later
// different definition is recorded as a change and held back until
// [Pins.Trust] accepts it. The listed prompts, resources and resource
// templates are pinned alike, under keys of their own ("(prompt) NAME",
// "(resource) URI", "(resource template) TEMPLATE"). The file is re-read on
// every check, so a trust done by another process counts from the next
// listing; every change to it is made under an advisory lock on
// PATH.lock, so proxies of the same server and safeclaw mcp trust do not
// undo each other's changes.
type Pins struct {
	path string
	mu   sync.Mutex
}

// PinFile is the on-disk form of a server's pins.
type PinFile struct {
	Server string `json:"server"`
	// Tools are the accepted definitions by tool name.
	Tools map[string]Pin `json:"tools"`
	// Changed are definitions seen that differ from the accepted ones,
	// waiting for a person.
	Changed map[string]Pin `json:"changed,omitempty"`
}

// Pin is one tool definition: its hash and what a person needs to judge a
// change.
type Pin struct {
	Hash        string    `json:"hash"`
	Description string    `json:"description,omitempty"`
	Seen        time.Time `json:"seen"`
	// V is the version of the hash: 0 for pins made before a tool's _meta
	// and icons were covered, pinVersion since.
	V int `json:"v,omitempty"`
}

// pinVersion is the version of the pins made now.
const pinVersion = 2

// instructionsKey pins the server's instructions among the tools (a name
// no tool can have: tool names have no spaces).
const instructionsKey = "(server instructions)"

// OpenPins returns the pins stored at path (created on first use, with its
// directory, mode 0700/0600).
func OpenPins(path string) *Pins { return &Pins{path: path} }

// lock takes the pin file's lock (PATH.lock, its directory created first).
func (p *Pins) lock() (func(), error) {
	if err := os.MkdirAll(filepath.Dir(p.path), 0o700); err != nil {
		return nil, err
	}
	unlock, err := filelock.Lock(p.path + ".lock")
	if errors.Is(err, errors.ErrUnsupported) {
		// No file locks here: the pins are guarded within one process.
		return func() {}, nil
	}
	return unlock, err
}

// Path is the pin file's path.
func (p *Pins) Path() string { return p.path }

// Load reads the pin file; a missing file is empty.
func (p *Pins) Load() (*PinFile, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.load()
}

func (p *Pins) load() (*PinFile, error) {
	f := &PinFile{Tools: map[string]Pin{}}
	data, err := os.ReadFile(p.path)
	if errors.Is(err, fs.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return nil, err
	}
	if t := bytes.TrimSpace(data); len(t) == 0 || t[0] != '{' {
		// Empty (a crash mid-write elsewhere) or not an object (null
		// would decode as no pins at all): nothing here can be trusted.
		return nil, fmt.Errorf("%s: not a pin file (a JSON object)", p.path)
	}
	if err := json.Unmarshal(data, f); err != nil {
		return nil, fmt.Errorf("%s: %v", p.path, err)
	}
	if f.Tools == nil {
		f.Tools = map[string]Pin{}
	}
	return f, nil
}

func (p *Pins) save(f *PinFile) error {
	f.Server = strings.TrimSuffix(filepath.Base(p.path), ".json")
	if err := os.MkdirAll(filepath.Dir(p.path), 0o700); err != nil {
		return err
	}
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(p.path), ".pins-*")
	if err != nil {
		return err
	}
	_, werr := tmp.Write(append(data, '\n'))
	cerr := tmp.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), p.path)
	}
	if werr != nil {
		os.Remove(tmp.Name())
	}
	return werr
}

// Trust accepts every recorded change and returns the names accepted.
func (p *Pins) Trust() ([]string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	unlock, err := p.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	f, err := p.load()
	if err != nil {
		return nil, err
	}
	var names []string
	for name, pin := range f.Changed {
		f.Tools[name] = pin
		names = append(names, name)
	}
	sort.Strings(names)
	f.Changed = nil
	if len(names) == 0 {
		return nil, nil
	}
	return names, p.save(f)
}

// ToolHash is the pinned hash of a tool definition: SHA-256 of the JSON of
// everything the proxy passes on about it (what reaches the model, or the
// client that shows it, runs it or decides about it): its name, title,
// description, input and output schemas, annotations, _meta and icons
// (object keys sorted). A tool without _meta and icons hashes as it did
// before those were covered, so its pin stays valid.
func ToolHash(t *mcp.Tool) string {
	def := struct {
		Name         string               `json:"name"`
		Title        string               `json:"title,omitempty"`
		Description  string               `json:"description,omitempty"`
		InputSchema  any                  `json:"inputSchema,omitempty"`
		OutputSchema any                  `json:"outputSchema,omitempty"`
		Annotations  *mcp.ToolAnnotations `json:"annotations,omitempty"`
		Meta         any                  `json:"_meta,omitempty"`
		Icons        any                  `json:"icons,omitempty"`
	}{t.Name, t.Title, t.Description, canonical(t.InputSchema), canonical(t.OutputSchema), t.Annotations, nil, nil}
	if len(t.Meta) > 0 {
		def.Meta = canonical(t.Meta)
	}
	if len(t.Icons) > 0 {
		def.Icons = canonical(t.Icons)
	}
	return hashJSON(t.Name, def)
}

// legacyToolHash is ToolHash as it was before _meta and icons were
// covered: a pin of that hash whose tool matches it in everything it
// covered is re-pinned under ToolHash (what it did not cover is trusted
// on first use, as everything was when the pin was made).
func legacyToolHash(t *mcp.Tool) string {
	if len(t.Meta) == 0 && len(t.Icons) == 0 {
		return ""
	}
	u := *t
	u.Meta, u.Icons = nil, nil
	return ToolHash(&u)
}

// PromptHash is the pinned hash of a listed prompt: everything passed on
// about it (name, title, description, arguments, _meta, icons).
func PromptHash(pr *mcp.Prompt) string { return hashJSON(pr.Name, canonical(pr)) }

// ResourceHash is the pinned hash of a listed resource or resource
// template: what is passed on about it that a server does not change as
// the content changes (its size and modification time are left out).
func ResourceHash(uri, name, title, description, mimeType string, ann *mcp.Annotations, meta mcp.Meta, icons []mcp.Icon) string {
	def := struct {
		URI         string     `json:"uri"`
		Name        string     `json:"name,omitempty"`
		Title       string     `json:"title,omitempty"`
		Description string     `json:"description,omitempty"`
		MIMEType    string     `json:"mimeType,omitempty"`
		Audience    []mcp.Role `json:"audience,omitempty"`
		Priority    float64    `json:"priority,omitempty"`
		Meta        any        `json:"_meta,omitempty"`
		Icons       any        `json:"icons,omitempty"`
	}{URI: uri, Name: name, Title: title, Description: description, MIMEType: mimeType}
	if ann != nil {
		def.Audience, def.Priority = ann.Audience, ann.Priority
	}
	if len(meta) > 0 {
		def.Meta = canonical(meta)
	}
	if len(icons) > 0 {
		def.Icons = canonical(icons)
	}
	return hashJSON(uri, def)
}

func hashJSON(name string, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte(fmt.Sprintf("unencodable %q: %v", name, err))
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// canonical turns a schema of any Go shape (a map from the SDK, raw JSON
// from a test) into plain decoded JSON, so equal schemas hash alike.
func canonical(v any) any {
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	if json.Unmarshal(b, &out) != nil {
		return v
	}
	return out
}

// pinEntry is one listed definition to check against its pin: its key in
// the pin file, its hash, the hash an older safeclaw pinned it under (""
// for none) and its description (for the person judging a change).
type pinEntry struct {
	key, hash, legacy, desc string
}

// pinCheck is the outcome of checking a listing against the pins.
type pinCheck struct {
	// changed: definitions that differ from their pins (recorded, held
	// back until trusted); added: pinned now; dup: keys listed more than
	// once with different definitions (held back: which one a client
	// sees and which one the server runs cannot be told; not recorded, as
	// no trust can settle it).
	changed, added, dup []string
}

func (c pinCheck) state(key string) toolState {
	switch {
	case slices.Contains(c.dup, key):
		return toolDuplicate
	case slices.Contains(c.changed, key):
		return toolChanged
	}
	return toolOK
}

// check compares tools with their pins: new tools are pinned, changed ones
// recorded.
func (p *Pins) check(tools []*mcp.Tool, now time.Time) (pinCheck, error) {
	entries := make([]pinEntry, 0, len(tools))
	for _, t := range tools {
		entries = append(entries, pinEntry{key: t.Name, hash: ToolHash(t), legacy: legacyToolHash(t), desc: t.Description})
	}
	return p.checkEntries(entries, now)
}

// checkEntries compares a listing with the pins, under the pin file's
// lock (other proxies of the same server, safeclaw mcp trust).
func (p *Pins) checkEntries(entries []pinEntry, now time.Time) (c pinCheck, err error) {
	// A key listed twice with different definitions is held back as a
	// whole; listed twice alike, it is one definition.
	first := map[string]pinEntry{}
	var uniq []pinEntry
	for _, e := range entries {
		prev, seen := first[e.key]
		switch {
		case !seen:
			first[e.key] = e
			uniq = append(uniq, e)
		case prev.hash != e.hash && !slices.Contains(c.dup, e.key):
			c.dup = append(c.dup, e.key)
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	unlock, err := p.lock()
	if err != nil {
		return pinCheck{}, err
	}
	defer unlock()
	f, err := p.load()
	if err != nil {
		return pinCheck{}, err
	}
	dirty := false
	for _, e := range uniq {
		if slices.Contains(c.dup, e.key) {
			continue
		}
		pin, ok := f.Tools[e.key]
		switch {
		case !ok:
			f.Tools[e.key] = Pin{Hash: e.hash, Description: e.desc, Seen: now, V: pinVersion}
			c.added = append(c.added, e.key)
			dirty = true
		case pin.Hash == e.hash:
			if _, ok := f.Changed[e.key]; ok {
				// Changed back to the accepted definition.
				delete(f.Changed, e.key)
				dirty = true
			}
			if pin.V < pinVersion {
				pin.V = pinVersion
				f.Tools[e.key] = pin
				dirty = true
			}
		case pin.V < pinVersion && e.legacy != "" && pin.Hash == e.legacy:
			// Pinned by a safeclaw that covered less of the definition,
			// and unchanged in all it covered.
			pin.Hash, pin.V = e.hash, pinVersion
			f.Tools[e.key] = pin
			delete(f.Changed, e.key)
			dirty = true
		default:
			c.changed = append(c.changed, e.key)
			if prev, ok := f.Changed[e.key]; !ok || prev.Hash != e.hash {
				if f.Changed == nil {
					f.Changed = map[string]Pin{}
				}
				f.Changed[e.key] = Pin{Hash: e.hash, Description: e.desc, Seen: now, V: pinVersion}
				dirty = true
			}
		}
	}
	if dirty {
		err = p.save(f)
	}
	return c, err
}

// checkInstructions pins the server's instructions like a tool.
func (p *Pins) checkInstructions(s string, now time.Time) (bool, error) {
	c, err := p.check([]*mcp.Tool{{Name: instructionsKey, Description: s}}, now)
	return len(c.changed) > 0, err
}

// Keys under which listed prompts, resources and resource templates are
// pinned beside the tools: names no tool can have (reservedName).
const (
	promptKey   = "(prompt) "
	resourceKey = "(resource) "
	templateKey = "(resource template) "
)

// reservedName reports a tool name that could pass for what safeclaw pins
// besides tools (the server's instructions, prompts, resources): every
// name that starts with "(", which no real tool has.
func reservedName(name string) bool { return strings.HasPrefix(name, "(") }

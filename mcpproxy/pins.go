package mcpproxy

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Pins records one server's tool definitions (trust on first use): the
// first time a tool is seen, a hash of its definition is pinned; a later
// different definition is recorded as a change and held back until
// [Pins.Trust] accepts it. The file is re-read on every check, so a trust
// done by another process counts from the next tools/list.
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
}

// instructionsKey pins the server's instructions among the tools (a name
// no tool can have: tool names have no spaces).
const instructionsKey = "(server instructions)"

// OpenPins returns the pins stored at path (created on first use, with its
// directory, mode 0700/0600).
func OpenPins(path string) *Pins { return &Pins{path: path} }

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
// its name, title, description, input and output schemas and annotations
// (object keys sorted), everything that reaches the model or shapes the
// call. _meta and icons are not covered.
func ToolHash(t *mcp.Tool) string {
	def := struct {
		Name         string               `json:"name"`
		Title        string               `json:"title,omitempty"`
		Description  string               `json:"description,omitempty"`
		InputSchema  any                  `json:"inputSchema,omitempty"`
		OutputSchema any                  `json:"outputSchema,omitempty"`
		Annotations  *mcp.ToolAnnotations `json:"annotations,omitempty"`
	}{t.Name, t.Title, t.Description, canonical(t.InputSchema), canonical(t.OutputSchema), t.Annotations}
	b, err := json.Marshal(def)
	if err != nil {
		b = []byte(fmt.Sprintf("unencodable %q: %v", t.Name, err))
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

// check compares tools with their pins: new tools are pinned, changed ones
// recorded. It returns the changed names (held back) and the newly pinned.
func (p *Pins) check(tools []*mcp.Tool, now time.Time) (changed, added []string, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f, err := p.load()
	if err != nil {
		return nil, nil, err
	}
	dirty := false
	for _, t := range tools {
		h := ToolHash(t)
		pin, ok := f.Tools[t.Name]
		switch {
		case !ok:
			f.Tools[t.Name] = Pin{Hash: h, Description: t.Description, Seen: now}
			added = append(added, t.Name)
			dirty = true
		case pin.Hash != h:
			changed = append(changed, t.Name)
			if c, ok := f.Changed[t.Name]; !ok || c.Hash != h {
				if f.Changed == nil {
					f.Changed = map[string]Pin{}
				}
				f.Changed[t.Name] = Pin{Hash: h, Description: t.Description, Seen: now}
				dirty = true
			}
		default:
			if _, ok := f.Changed[t.Name]; ok {
				// Changed back to the accepted definition.
				delete(f.Changed, t.Name)
				dirty = true
			}
		}
	}
	if dirty {
		err = p.save(f)
	}
	return changed, added, err
}

// checkInstructions pins the server's instructions like a tool.
func (p *Pins) checkInstructions(s string, now time.Time) (bool, error) {
	changed, _, err := p.check([]*mcp.Tool{{Name: instructionsKey, Description: s}}, now)
	return len(changed) > 0, err
}

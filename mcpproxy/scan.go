package mcpproxy

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Inventory is what an MCP server offers, as `safeclaw mcp scan` shows it.
type Inventory struct {
	Server    string         `json:"server"`
	Upstream  string         `json:"upstream"`
	Protocol  string         `json:"protocol"`
	Tools     []ToolInfo     `json:"tools"`
	Resources []ResourceInfo `json:"resources,omitempty"`
	Prompts   []PromptInfo   `json:"prompts,omitempty"`
}

// ToolInfo is one tool: its name, description, argument names, the
// server's own hints (declared by the server, so advisory only) and its
// definition hash (as pinned).
type ToolInfo struct {
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Arguments   []string `json:"arguments,omitempty"`
	ReadOnly    bool     `json:"read_only_hint,omitempty"`
	Destructive bool     `json:"destructive_hint,omitempty"`
	Hash        string   `json:"hash"`
}

// ResourceInfo is one listed resource.
type ResourceInfo struct {
	URI  string `json:"uri"`
	Name string `json:"name,omitempty"`
}

// PromptInfo is one prompt.
type PromptInfo struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// Scan connects to the upstream, lists what it offers and disconnects.
func Scan(ctx context.Context, up Upstream, name string) (*Inventory, error) {
	client := mcp.NewClient(&mcp.Implementation{Name: "safeclaw-mcp-scan", Version: "1"}, &mcp.ClientOptions{Capabilities: &mcp.ClientCapabilities{}})
	cs, err := client.Connect(ctx, up.connect(nil), nil)
	if err != nil {
		return nil, fmt.Errorf("connect to upstream MCP server %s: %w", up.desc, err)
	}
	defer cs.Close()
	inv := &Inventory{Server: name, Upstream: up.desc}
	caps := &mcp.ServerCapabilities{}
	if info := cs.InitializeResult(); info != nil {
		inv.Protocol = info.ProtocolVersion
		if info.Capabilities != nil {
			caps = info.Capabilities
		}
	}
	if caps.Tools != nil {
		for t, err := range cs.Tools(ctx, nil) {
			if err != nil {
				return nil, fmt.Errorf("tools/list: %w", err)
			}
			ti := ToolInfo{Name: t.Name, Description: t.Description, Arguments: schemaProperties(t.InputSchema), Hash: ToolHash(t)}
			if a := t.Annotations; a != nil {
				ti.ReadOnly = a.ReadOnlyHint
				ti.Destructive = a.DestructiveHint != nil && *a.DestructiveHint
			}
			inv.Tools = append(inv.Tools, ti)
		}
	}
	if caps.Resources != nil {
		for r, err := range cs.Resources(ctx, nil) {
			if err != nil {
				return nil, fmt.Errorf("resources/list: %w", err)
			}
			inv.Resources = append(inv.Resources, ResourceInfo{URI: r.URI, Name: r.Name})
		}
	}
	if caps.Prompts != nil {
		for pr, err := range cs.Prompts(ctx, nil) {
			if err != nil {
				return nil, fmt.Errorf("prompts/list: %w", err)
			}
			inv.Prompts = append(inv.Prompts, PromptInfo{Name: pr.Name, Description: pr.Description})
		}
	}
	return inv, nil
}

// schemaProperties lists the top-level property names of an input schema.
func schemaProperties(schema any) []string {
	m, ok := canonical(schema).(map[string]any)
	if !ok {
		return nil
	}
	props, ok := m["properties"].(map[string]any)
	if !ok {
		return nil
	}
	out := make([]string, 0, len(props))
	for k := range props {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// WriteText prints the inventory for people.
func (inv *Inventory) WriteText(w io.Writer) {
	fmt.Fprintf(w, "server %s (%s), protocol %s\n", inv.Server, inv.Upstream, inv.Protocol)
	fmt.Fprintf(w, "%d tools:\n", len(inv.Tools))
	for _, t := range inv.Tools {
		hints := ""
		if t.ReadOnly {
			hints += " [read-only hint]"
		}
		if t.Destructive {
			hints += " [destructive hint]"
		}
		fmt.Fprintf(w, "  %s(%s)%s\n", t.Name, strings.Join(t.Arguments, ", "), hints)
		if t.Description != "" {
			fmt.Fprintf(w, "      %s\n", oneLine(t.Description, 160))
		}
	}
	if len(inv.Resources) > 0 {
		fmt.Fprintf(w, "%d resources:\n", len(inv.Resources))
		for _, r := range inv.Resources {
			fmt.Fprintf(w, "  %s\n", oneLine(r.URI, 200))
		}
	}
	if len(inv.Prompts) > 0 {
		fmt.Fprintf(w, "%d prompts:\n", len(inv.Prompts))
		for _, p := range inv.Prompts {
			fmt.Fprintf(w, "  %s\n", oneLine(p.Name, 200))
		}
	}
}

// oneLine flattens text from a server for a terminal: no control
// characters, at most n bytes.
func oneLine(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		s = s[:n] + "..."
	}
	return s
}

// StarterPolicy writes a starter policy for the inventory: deny by
// default; tools the server marks read-only allowed, the others asked;
// listed resources allowed by exact URI, other reads asked; prompts
// allowed. The server's hints are its own claims: review before use.
func (inv *Inventory) StarterPolicy(w io.Writer) {
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	fmt.Fprintf(w, "# Starter safeclaw policy for MCP server %s (safeclaw mcp scan).\n", q(inv.Server))
	fmt.Fprintln(w, "# Review it: read-only and destructive hints are the server's own claims.")
	fmt.Fprintln(w, "# Use with: safeclaw mcp --policy THIS_FILE --name", inv.Server, "-- ...")
	fmt.Fprintln(w, "version: 1")
	fmt.Fprintln(w, "default: deny")
	fmt.Fprintln(w, "rules:")
	for _, t := range inv.Tools {
		effect, why := "ask", "changes something; a person approves each call"
		if t.ReadOnly && !t.Destructive {
			effect, why = "allow", "the server declares it read-only"
		}
		fmt.Fprintf(w, "  - name: %s\n", q(inv.Server+": "+t.Name))
		if t.Description != "" {
			fmt.Fprintf(w, "    description: %s\n", q(oneLine(t.Description, 200)))
		}
		fmt.Fprintf(w, "    action: mcp.call\n    server: %s\n    tool: %s\n    effect: %s\n    reason: %s\n", q(inv.Server), q(t.Name), effect, q(why))
	}
	var uris []string
	for _, r := range inv.Resources {
		// '*' is a wildcard in uri globs, with no escape: such URIs are
		// left to the ask rule below.
		if r.URI != "" && !strings.Contains(r.URI, "*") {
			uris = append(uris, r.URI)
		}
	}
	if len(uris) > 0 {
		fmt.Fprintf(w, "  - name: %s\n    action: mcp.read\n    server: %s\n    uri:\n", q(inv.Server+": listed resources"), q(inv.Server))
		for _, u := range uris {
			fmt.Fprintf(w, "      - %s\n", q(u))
		}
		fmt.Fprintln(w, "    effect: allow\n    reason: \"a resource the server lists\"")
	}
	fmt.Fprintf(w, "  - name: %s\n    action: mcp.read\n    server: %s\n    effect: ask\n    reason: \"reading a resource the server does not list\"\n", q(inv.Server+": other resources"), q(inv.Server))
	if len(inv.Prompts) > 0 {
		fmt.Fprintf(w, "  - name: %s\n    action: mcp.prompt\n    server: %s\n    effect: allow\n    reason: \"prompt templates\"\n", q(inv.Server+": prompts"), q(inv.Server))
	}
}

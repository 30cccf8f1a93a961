// Package config loads safeclaw's settings file, config.yaml (beside the
// user policy), as strictly as the policy: unknown keys, wrong types and
// bad values are errors naming file:line:col with a hint, and YAML anchors,
// aliases, merge keys, tags and multiple documents are refused.
//
// Every setting has a default ([Default]); an empty file means all
// defaults. docs/config.md documents the settings. [Load] reads the file
// and fails closed on anything but a small regular file (a FIFO, a
// dangling symbolic link, a directory, an unreadable or huge file); values
// that would silently loosen what the file says (a zero or negative
// duration, a retention under a day, a store URL the rest of safeclaw
// would read differently) are errors too.
//
// # Current limitations
//
// Paths are returned as written; the caller expands a leading ~ and
// anchors relative paths. Later issues add approval channels and webhooks.
package config

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/safeclaw/safeclaw/internal/strictyaml"
	"golang.org/x/net/http/httpguts"
)

// Error is a load error with its position: "file:line:col: msg (hint)".
type Error = strictyaml.Error

// Mode says whether decisions are enforced.
type Mode string

const (
	// Enforce blocks what the policy denies.
	Enforce Mode = "enforce"
	// Shadow decides and records, but lets everything through (for trying a
	// policy out); every record says it was not enforced.
	Shadow Mode = "shadow"
)

// Audit durability and failure handling.
const (
	DurabilityFsync = "fsync" // fsync each record before answering
	DurabilityNone  = "none"  // leave flushing to the OS

	OnFailureDeny      = "deny"       // a record that cannot be written denies the action
	OnFailureAllowWarn = "allow_warn" // let it through and warn (not recommended)
)

// How an ask is put to a person when the agent is Claude Code.
const (
	ClaudeAskNative = "native" // Claude's own permission prompt
	ClaudeAskDefer  = "defer"  // defer to Claude's permission mode
	ClaudeAskWait   = "wait"   // safeclaw waits for an approval from its own channels
	ClaudeAskDeny   = "deny"   // treat ask as deny
)

// What an ask does when the shared approval store is unreachable.
const (
	StoreDownDeny  = "deny"  // deny: no person can be asked through the fleet
	StoreDownLocal = "local" // fall back to this machine's store and channels
)

// Config is the parsed settings file.
type Config struct {
	// Mode is enforce (default) or shadow.
	Mode Mode `json:"mode"`
	// Audit configures the hash-chained audit log.
	Audit Audit `json:"audit"`
	// Approvals configures how asks are answered.
	Approvals Approvals `json:"approvals"`
	// Hooks configures the agent hooks.
	Hooks Hooks `json:"hooks"`
	// MCP configures the MCP gating proxy (safeclaw mcp).
	MCP MCP `json:"mcp"`
	// Store is where approvals and the audit trail live, as a URL
	// (sqlite:///path, postgres://...). "" means the embedded default under
	// the state directory.
	Store string `json:"store,omitempty"`
}

// Audit settings.
type Audit struct {
	// Path of the audit log; "" means the default under the state directory.
	Path string `json:"path,omitempty"`
	// Durability is fsync (default) or none.
	Durability string `json:"durability"`
	// OnFailure is deny (default) or allow_warn.
	OnFailure string `json:"on_failure"`
	// RotateSize starts a new segment past this many bytes; 0 means the
	// audit trail's default (64 MiB).
	RotateSize int64 `json:"rotate_size,omitempty"`
	// Retention deletes rotated segments older than this; 0 keeps them.
	Retention time.Duration `json:"retention,omitempty"`
}

// Hooks settings.
type Hooks struct {
	// RedactOutput replaces the secrets safeclaw recognises in a tool's
	// output before the agent's model sees it, where the agent allows a
	// hook to (Claude Code's PostToolUse). Default true.
	RedactOutput bool `json:"redact_output"`
}

// MCP settings.
type MCP struct {
	// RedactResults replaces the secrets safeclaw recognises in the results
	// of tools/call, resources/read and prompts/get before the client's
	// model sees them. Default true.
	RedactResults bool `json:"redact_results"`
}

// Approvals settings.
type Approvals struct {
	// Timeout is how long an ask waits for a person before it is denied.
	Timeout time.Duration `json:"timeout"`
	// ClaudeAsk is native (default), defer, wait or deny.
	ClaudeAsk string `json:"claude_ask"`
	// OnStoreDown says what an ask does when the shared (PostgreSQL)
	// approval store is unreachable: deny (default) or local (this
	// machine's SQLite store and channels decide).
	OnStoreDown string `json:"on_store_down"`
	// Webhooks are told about every approval request.
	Webhooks []Webhook `json:"webhooks,omitempty"`
}

// Webhook is one notification target for approval requests.
type Webhook struct {
	Name string `json:"name"`
	// URL, or URLFile: a file holding the URL (so a secret-bearing Slack
	// URL need not sit in config.yaml). Exactly one is set.
	URL     string `json:"url,omitempty"`
	URLFile string `json:"url_file,omitempty"`
	// Format is json (default), slack or discord.
	Format string `json:"format"`
	// SecretFile holds the HMAC key that signs each delivery (0600).
	SecretFile string            `json:"secret_file,omitempty"`
	Headers    map[string]string `json:"headers,omitempty"`
}

// Default returns the settings used when config.yaml is absent.
func Default() *Config {
	return &Config{
		Mode:      Enforce,
		Audit:     Audit{Durability: DurabilityFsync, OnFailure: OnFailureDeny},
		Approvals: Approvals{Timeout: 5 * time.Minute, ClaudeAsk: ClaudeAskNative, OnStoreDown: StoreDownDeny},
		Hooks:     Hooks{RedactOutput: true},
		MCP:       MCP{RedactResults: true},
	}
}

var (
	topKeys       = []string{"version", "mode", "audit", "approvals", "hooks", "mcp", "store"}
	hooksKeys     = []string{"redact_output"}
	mcpKeys       = []string{"redact_results"}
	auditKeys     = []string{"path", "durability", "on_failure", "rotate_size", "retention"}
	approvalsKeys = []string{"timeout", "claude_ask", "webhooks", "on_store_down"}
	webhookKeys   = []string{"name", "url", "url_file", "format", "secret_file", "headers"}
	storeSchemes  = []string{"sqlite", "file", "postgres", "postgresql"}
)

// Parse strictly loads config.yaml (or JSON). name is used in errors.
// Settings it does not mention keep their defaults.
func Parse(name string, data []byte) (*Config, error) {
	c := Default()
	root, err := strictyaml.Parse(name, data)
	if err != nil || root == nil {
		return c, err
	}
	if err := root.CheckMap("the config", topKeys); err != nil {
		return nil, err
	}
	if v := root.Get("version"); v != nil {
		n, err := v.Int("version")
		if err != nil {
			return nil, err
		}
		if n != 1 {
			return nil, v.Errorf("this safeclaw reads version 1 config files", "unsupported config version %d", n)
		}
	}
	if v := root.Get("mode"); v != nil {
		s, err := oneOf(v, "mode", []string{string(Enforce), string(Shadow)})
		if err != nil {
			return nil, err
		}
		c.Mode = Mode(s)
	}
	if v := root.Get("audit"); v != nil {
		if err := v.CheckMap("audit", auditKeys); err != nil {
			return nil, err
		}
		if p := v.Get("path"); p != nil {
			if c.Audit.Path, err = p.NonEmptyString("audit.path"); err != nil {
				return nil, err
			}
			if !strings.HasPrefix(c.Audit.Path, "/") && !strings.HasPrefix(c.Audit.Path, "~/") {
				return nil, p.Errorf("write an absolute path or one starting with ~/", "audit.path %q is relative", c.Audit.Path)
			}
		}
		if d := v.Get("durability"); d != nil {
			if c.Audit.Durability, err = oneOf(d, "audit.durability", []string{DurabilityFsync, DurabilityNone}); err != nil {
				return nil, err
			}
		}
		if o := v.Get("on_failure"); o != nil {
			if c.Audit.OnFailure, err = oneOf(o, "audit.on_failure", []string{OnFailureDeny, OnFailureAllowWarn}); err != nil {
				return nil, err
			}
		}
		if r := v.Get("rotate_size"); r != nil {
			if c.Audit.RotateSize, err = parseSize(r); err != nil {
				return nil, err
			}
		}
		if r := v.Get("retention"); r != nil {
			if c.Audit.Retention, err = parseDuration(r, "audit.retention", true); err != nil {
				return nil, err
			}
			if c.Audit.Retention < minRetention {
				return nil, r.Errorf("retention deletes rotated audit segments older than this; to keep them all, remove the key",
					"audit.retention %s is shorter than a day", c.Audit.Retention)
			}
		}
	}
	if v := root.Get("approvals"); v != nil {
		if err := v.CheckMap("approvals", approvalsKeys); err != nil {
			return nil, err
		}
		if t := v.Get("timeout"); t != nil {
			if c.Approvals.Timeout, err = parseDuration(t, "approvals.timeout", false); err != nil {
				return nil, err
			}
		}
		if a := v.Get("claude_ask"); a != nil {
			if c.Approvals.ClaudeAsk, err = oneOf(a, "approvals.claude_ask", []string{ClaudeAskNative, ClaudeAskDefer, ClaudeAskWait, ClaudeAskDeny}); err != nil {
				return nil, err
			}
		}
		if o := v.Get("on_store_down"); o != nil {
			if c.Approvals.OnStoreDown, err = oneOf(o, "approvals.on_store_down", []string{StoreDownDeny, StoreDownLocal}); err != nil {
				return nil, err
			}
		}
		if w := v.Get("webhooks"); w != nil {
			if c.Approvals.Webhooks, err = parseWebhooks(w); err != nil {
				return nil, err
			}
		}
	}
	if v := root.Get("hooks"); v != nil {
		if err := v.CheckMap("hooks", hooksKeys); err != nil {
			return nil, err
		}
		if r := v.Get("redact_output"); r != nil {
			if c.Hooks.RedactOutput, err = r.Bool("hooks.redact_output"); err != nil {
				return nil, err
			}
		}
	}
	if v := root.Get("mcp"); v != nil {
		if err := v.CheckMap("mcp", mcpKeys); err != nil {
			return nil, err
		}
		if r := v.Get("redact_results"); r != nil {
			if c.MCP.RedactResults, err = r.Bool("mcp.redact_results"); err != nil {
				return nil, err
			}
		}
	}
	if v := root.Get("store"); v != nil {
		s, err := v.NonEmptyString("store")
		if err != nil {
			return nil, err
		}
		if msg, hint := storeProblem(s); msg != "" {
			return nil, v.Errorf(hint, "%s", msg)
		}
		c.Store = s
	}
	return c, nil
}

// CheckStore reports whether s is a store URL safeclaw reads as written,
// as config.yaml's store must be; for the same URL given another way
// (SAFECLAW_STORE), which must not be held to less.
func CheckStore(s string) error {
	if msg, hint := storeProblem(s); msg != "" {
		return fmt.Errorf("%s (%s)", msg, hint)
	}
	return nil
}

// storeProblem says what is wrong with the store URL s, and how to fix it
// ("" when nothing is). The scheme must be a supported one, in lowercase
// and followed by "//" (a "postgres:db" or "POSTGRES://" would not be taken
// for PostgreSQL and would silently store locally), and a SQLite or file
// store names an absolute path on this machine.
func storeProblem(s string) (msg, hint string) {
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" {
		return fmt.Sprintf("store %q is not a URL", s), "write a URL such as sqlite:///var/lib/safeclaw/state.db or postgres://host/db"
	}
	if !contains(storeSchemes, u.Scheme) {
		hint := strictyaml.DidYouMean(u.Scheme, storeSchemes)
		if hint == "" {
			hint = "supported: " + strings.Join(storeSchemes, ", ")
		}
		return fmt.Sprintf("unsupported store scheme %q", u.Scheme), hint
	}
	if !strings.HasPrefix(s, u.Scheme+"://") {
		return fmt.Sprintf("store %q is not a URL safeclaw reads", s),
			"write it as " + u.Scheme + "://..., in lowercase, e.g. sqlite:///var/lib/safeclaw/state.db or postgres://host/db"
	}
	switch u.Scheme {
	case "sqlite", "file":
		if u.Host != "" || !strings.HasPrefix(u.Path, "/") || u.Path == "/" {
			return fmt.Sprintf("store %q does not name an absolute path", s), "write " + u.Scheme + ":///absolute/path (three slashes)"
		}
	}
	return "", ""
}

// parseWebhooks reads approvals.webhooks: a list of targets.
func parseWebhooks(v *strictyaml.Node) ([]Webhook, error) {
	items, err := v.List("approvals.webhooks")
	if err != nil {
		return nil, err
	}
	var out []Webhook
	names := map[string]bool{}
	for _, it := range items {
		if err := it.CheckMap("a webhook", webhookKeys); err != nil {
			return nil, err
		}
		w := Webhook{Format: "json"}
		n := it.Get("name")
		if n == nil {
			return nil, it.Errorf("give each webhook a name: it appears in logs and audit records", "webhook without a name")
		}
		if w.Name, err = n.NonEmptyString("webhook name"); err != nil {
			return nil, err
		}
		if names[w.Name] {
			return nil, n.Errorf("", "duplicate webhook name %q", w.Name)
		}
		names[w.Name] = true
		for key, dst := range map[string]*string{"url": &w.URL, "url_file": &w.URLFile, "secret_file": &w.SecretFile} {
			if x := it.Get(key); x != nil {
				if *dst, err = x.NonEmptyString("webhook " + key); err != nil {
					return nil, err
				}
			}
		}
		if (w.URL == "") == (w.URLFile == "") {
			return nil, it.Errorf("give url or url_file", "webhook %q needs exactly one of url and url_file", w.Name)
		}
		if w.URL != "" {
			u, err := url.Parse(w.URL)
			if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				return nil, it.Get("url").Errorf("write an http(s) URL", "webhook %q: bad url %q", w.Name, w.URL)
			}
		}
		for _, f := range []struct{ key, path string }{{"url_file", w.URLFile}, {"secret_file", w.SecretFile}} {
			if f.path != "" && !strings.HasPrefix(f.path, "/") && !strings.HasPrefix(f.path, "~/") {
				return nil, it.Get(f.key).Errorf("write an absolute path or one starting with ~/", "webhook %q: %s %q is relative", w.Name, f.key, f.path)
			}
		}
		if f := it.Get("format"); f != nil {
			if w.Format, err = oneOf(f, "webhook format", []string{"json", "slack", "discord"}); err != nil {
				return nil, err
			}
		}
		if h := it.Get("headers"); h != nil {
			if h.Kind != strictyaml.Map {
				return nil, h.Errorf("", "webhook headers must be a mapping, not %s", h.Describe())
			}
			w.Headers = map[string]string{}
			seen := map[string]*strictyaml.Node{}
			for i, k := range h.Keys {
				val, err := h.Vals[i].String("header " + k.Value)
				if err != nil {
					return nil, err
				}
				if msg, hint := headerProblem(k.Value, val); msg != "" {
					at := k
					if !strings.HasPrefix(msg, "header name") {
						at = h.Vals[i]
					}
					return nil, at.Errorf(hint, "webhook %q: %s", w.Name, msg)
				}
				// HTTP header names are case-insensitive: of Authorization
				// and authorization, only one would be sent, chosen at
				// random on each delivery.
				canon := strings.ToLower(k.Value)
				if prev, dup := seen[canon]; dup {
					return nil, k.Errorf(fmt.Sprintf("header names are case-insensitive; %q is at line %d", prev.Value, prev.Line),
						"webhook %q: duplicate header %q", w.Name, k.Value)
				}
				seen[canon] = k
				w.Headers[k.Value] = val
			}
		}
		out = append(out, w)
	}
	return out, nil
}

// reservedHeaders are the headers safeclaw sets on every delivery, or that
// the HTTP client owns: a value for one in config.yaml would be replaced
// without a word (or break the request).
var reservedHeaders = []string{"content-type", "user-agent", "host", "content-length", "transfer-encoding", "connection"}

// headerProblem says what is wrong with a webhook header, and how to fix
// it ("" when nothing is). The HTTP client refuses a name that is not a
// token and a value with a line break or other control character only at
// delivery, when nobody is looking; a value it accepted could not carry a
// line break anyway.
func headerProblem(name, value string) (msg, hint string) {
	if name == "" {
		return "header name is empty", "write a name such as Authorization"
	}
	if !httpguts.ValidHeaderFieldName(name) {
		return fmt.Sprintf("header name %q is not a valid HTTP header name", name), "use letters, digits and - only, e.g. X-Team-Token"
	}
	lower := strings.ToLower(name)
	if contains(reservedHeaders, lower) || strings.HasPrefix(lower, "x-safeclaw-") {
		return fmt.Sprintf("header name %q is set by safeclaw on every delivery", name), "remove it; sign deliveries with secret_file"
	}
	if !httpguts.ValidHeaderFieldValue(value) {
		for i, r := range value {
			if r != '\t' && (r < 0x20 || r == 0x7f) {
				return fmt.Sprintf("header %s: the value has the control character %U at byte %d", name, r, i), "a header value is one line of text"
			}
		}
		return fmt.Sprintf("header %s: the value is not a valid HTTP header value", name), "a header value is one line of text"
	}
	return "", ""
}

func oneOf(v *strictyaml.Node, what string, allowed []string) (string, error) {
	s, err := v.String(what)
	if err != nil {
		return "", err
	}
	if !contains(allowed, s) {
		hint := strictyaml.DidYouMean(s, allowed)
		if hint == "" {
			hint = "one of: " + strings.Join(allowed, ", ")
		}
		return "", v.Errorf(hint, "unknown %s %q", what, s)
	}
	return s, nil
}

// sizeRE and daysRE are compiled on first use: package init is on every hook's path.
var sizeRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\s*([0-9]+)\s*([KMGT]i?B|B)?\s*$`) })

// parseSize reads a byte count: 1048576, "64MiB", "100MB".
func parseSize(v *strictyaml.Node) (int64, error) {
	if v.Kind == strictyaml.Scalar && v.Tag == strictyaml.TagInt {
		n, err := v.Int("audit.rotate_size")
		if err == nil && n < 0 {
			return 0, v.Errorf("0 means the default, 64MiB", "audit.rotate_size must not be negative")
		}
		return n, err
	}
	s, err := v.String("audit.rotate_size")
	if err != nil {
		return 0, err
	}
	m := sizeRE().FindStringSubmatch(s)
	if m == nil {
		return 0, v.Errorf("write a byte count such as 67108864, \"64MiB\" or \"100MB\"", "bad audit.rotate_size %q", s)
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		return 0, v.Errorf("", "bad audit.rotate_size %q", s)
	}
	mult := map[string]int64{"": 1, "B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12,
		"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40}[m[2]]
	if n > (1<<62)/mult {
		return 0, v.Errorf("", "audit.rotate_size %q is too large", s)
	}
	return n * mult, nil
}

var daysRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^([0-9]+)([dw])$`) })

// parseDuration reads a Go duration ("90s", "5m", "1h30m"), or with days a
// whole number of days or weeks ("30d", "4w").
func parseDuration(v *strictyaml.Node, what string, days bool) (time.Duration, error) {
	s, err := v.String(what)
	if err != nil {
		return 0, err
	}
	s = strings.TrimSpace(s)
	hint := "write a duration such as 90s, 5m or 1h"
	if days {
		hint = "write a duration such as 720h, 30d or 4w"
	}
	var d time.Duration
	if m := daysRE().FindStringSubmatch(s); m != nil && days {
		n, _ := strconv.Atoi(m[1])
		unit := 24 * time.Hour
		if m[2] == "w" {
			unit *= 7
		}
		if n > 100000 {
			return 0, v.Errorf("", "%s %q is too long", what, s)
		}
		d = time.Duration(n) * unit
	} else if d, err = time.ParseDuration(s); err != nil {
		return 0, v.Errorf(hint, "bad %s %q", what, s)
	}
	// Zero and negative durations are refused rather than read as "no
	// limit" or "the default": a 0 that silently turned into something
	// else would loosen what the file says.
	if d <= 0 {
		return 0, v.Errorf(hint, "bad %s %q: it must be longer than zero", what, s)
	}
	return d, nil
}

// minRetention is the shortest audit.retention: below it the trail's
// history would be deleted almost as it is written.
const minRetention = 24 * time.Hour

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// String renders the settings as a config.yaml with every value spelled out.
func (c *Config) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "mode: %s\naudit:\n", c.Mode)
	if c.Audit.Path != "" {
		fmt.Fprintf(&b, "  path: %q\n", c.Audit.Path)
	}
	fmt.Fprintf(&b, "  durability: %s\n  on_failure: %s\n", c.Audit.Durability, c.Audit.OnFailure)
	if c.Audit.RotateSize > 0 {
		fmt.Fprintf(&b, "  rotate_size: %d\n", c.Audit.RotateSize)
	}
	if c.Audit.Retention > 0 {
		fmt.Fprintf(&b, "  retention: %s\n", c.Audit.Retention)
	}
	fmt.Fprintf(&b, "approvals:\n  timeout: %s\n  claude_ask: %s\n  on_store_down: %s\n", c.Approvals.Timeout, c.Approvals.ClaudeAsk, c.Approvals.OnStoreDown)
	fmt.Fprintf(&b, "hooks:\n  redact_output: %t\n", c.Hooks.RedactOutput)
	fmt.Fprintf(&b, "mcp:\n  redact_results: %t\n", c.MCP.RedactResults)
	if c.Store != "" {
		fmt.Fprintf(&b, "store: %q\n", c.Store)
	}
	return b.String()
}

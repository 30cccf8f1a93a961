package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestDefaultYAMLIsDefault(t *testing.T) {
	c, err := Parse("config.yaml", DefaultYAML())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c, Default()) {
		t.Errorf("DefaultYAML parses to %+v, Default is %+v", c, Default())
	}
	for _, empty := range []string{"", "# nothing\n", "{}"} {
		c, err := Parse("config.yaml", []byte(empty))
		if err != nil || !reflect.DeepEqual(c, Default()) {
			t.Errorf("%q: %+v, %v", empty, c, err)
		}
	}
	// String round-trips.
	c = Default()
	c.Audit.RotateSize, c.Audit.Retention, c.Store, c.Audit.Path = 1<<20, 48*time.Hour, "sqlite:///x.db", "/var/log/a"
	c.Hooks.RedactOutput = false
	c.MCP.RedactResults = false
	back, err := Parse("c.yaml", []byte(c.String()))
	if err != nil || !reflect.DeepEqual(back, c) {
		t.Errorf("round trip: %+v, %v\n%s", back, err, c)
	}
}

func TestParse(t *testing.T) {
	c, err := Parse("config.yaml", []byte(`
version: 1
mode: shadow
audit:
  path: ~/audit.log
  durability: none
  on_failure: allow_warn
  rotate_size: 64MiB
  retention: 30d
approvals:
  timeout: 90s
  claude_ask: wait
hooks:
  redact_output: false
mcp:
  redact_results: false
store: postgres://safeclaw@db.internal/safeclaw
`))
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{Mode: Shadow, Audit: Audit{Path: "~/audit.log", Durability: "none", OnFailure: "allow_warn", RotateSize: 64 << 20, Retention: 30 * 24 * time.Hour},
		Approvals: Approvals{Timeout: 90 * time.Second, ClaudeAsk: "wait", OnStoreDown: StoreDownDeny}, Hooks: Hooks{RedactOutput: false},
		MCP: MCP{RedactResults: false}, Store: "postgres://safeclaw@db.internal/safeclaw"}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got %+v", c)
	}
	for in, n := range map[string]int64{"1048576": 1 << 20, `"100MB"`: 100e6, `"2 GiB"`: 2 << 30, `"0"`: 0, "0": 0} {
		c, err := Parse("c.yaml", []byte("audit: {rotate_size: "+in+"}"))
		if err != nil || c.Audit.RotateSize != n {
			t.Errorf("rotate_size %s: %d, %v", in, c.Audit.RotateSize, err)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ src, want string }{
		{"mdoe: shadow\n", `c.yaml:1:1: unknown key "mdoe" in the config (did you mean "mode"?)`},
		{"mode: shadw\n", `c.yaml:1:7: unknown mode "shadw" (did you mean "shadow"?)`},
		{"audit:\n  durabilty: none\n", `c.yaml:2:3: unknown key "durabilty" in audit (did you mean "durability"?)`},
		{"audit:\n  durability: sync\n", `c.yaml:2:15: unknown audit.durability "sync" (did you mean "fsync"?)`},
		{"audit:\n  on_failure: allow\n", `c.yaml:2:15: unknown audit.on_failure "allow" (one of: deny, allow_warn)`},
		{"audit:\n  rotate_size: 64 megs\n", `c.yaml:2:16: bad audit.rotate_size "64 megs" (write a byte count such as 67108864, "64MiB" or "100MB")`},
		{"audit:\n  rotate_size: -1\n", `c.yaml:2:16: audit.rotate_size must not be negative (0 means the default, 64MiB)`},
		// Values that would silently loosen what the file says.
		{"approvals:\n  timeout: 0s\n", `c.yaml:2:12: bad approvals.timeout "0s": it must be longer than zero (write a duration such as 90s, 5m or 1h)`},
		{"approvals:\n  timeout: -5m\n", `c.yaml:2:12: bad approvals.timeout "-5m": it must be longer than zero (write a duration such as 90s, 5m or 1h)`},
		{"approvals:\n  timeout: \"0\"\n", `c.yaml:2:12: bad approvals.timeout "0": it must be longer than zero (write a duration such as 90s, 5m or 1h)`},
		{"audit:\n  retention: 0d\n", `c.yaml:2:14: bad audit.retention "0d": it must be longer than zero (write a duration such as 720h, 30d or 4w)`},
		{"audit:\n  retention: 0w\n", `c.yaml:2:14: bad audit.retention "0w": it must be longer than zero (write a duration such as 720h, 30d or 4w)`},
		{"audit:\n  retention: 0s\n", `c.yaml:2:14: bad audit.retention "0s": it must be longer than zero (write a duration such as 720h, 30d or 4w)`},
		{"audit:\n  retention: 1s\n", `c.yaml:2:14: audit.retention 1s is shorter than a day (retention deletes rotated audit segments older than this; to keep them all, remove the key)`},
		{"audit:\n  retention: 23h\n", `c.yaml:2:14: audit.retention 23h0m0s is shorter than a day (retention deletes rotated audit segments older than this; to keep them all, remove the key)`},
		{"mode: enforced\n", `c.yaml:1:7: unknown mode "enforced" (did you mean "enforce"?)`},
		{"mode: Shadow\n", `c.yaml:1:7: unknown mode "Shadow" (did you mean "shadow"?)`},
		{"mode:\n", `c.yaml:1:6: mode must be a string, not an empty value`},
		{"audit:\n  on_failure: allow-warn\n", `c.yaml:2:15: unknown audit.on_failure "allow-warn" (did you mean "allow_warn"?)`},
		// Store URLs the rest of safeclaw would not read as written.
		{"store: 'postgres:safeclaw'\n", `c.yaml:1:8: store "postgres:safeclaw" is not a URL safeclaw reads (write it as postgres://..., in lowercase, e.g. sqlite:///var/lib/safeclaw/state.db or postgres://host/db)`},
		{"store: POSTGRES://db/x\n", `c.yaml:1:8: store "POSTGRES://db/x" is not a URL safeclaw reads (write it as postgres://..., in lowercase, e.g. sqlite:///var/lib/safeclaw/state.db or postgres://host/db)`},
		{"store: 'sqlite:'\n", `c.yaml:1:8: store "sqlite:" is not a URL safeclaw reads (write it as sqlite://..., in lowercase, e.g. sqlite:///var/lib/safeclaw/state.db or postgres://host/db)`},
		{"store: sqlite://state.db\n", `c.yaml:1:8: store "sqlite://state.db" does not name an absolute path (write sqlite:///absolute/path (three slashes))`},
		{"store: file:///\n", `c.yaml:1:8: store "file:///" does not name an absolute path (write file:///absolute/path (three slashes))`},
		{"audit:\n  retention: 1 month\n", `c.yaml:2:14: bad audit.retention "1 month" (write a duration such as 720h, 30d or 4w)`},
		{"audit:\n  path: logs/audit.log\n", `c.yaml:2:9: audit.path "logs/audit.log" is relative (write an absolute path or one starting with ~/)`},
		{"approvals:\n  timeout: 5\n", `c.yaml:2:12: approvals.timeout must be a string, not an integer (quote it: "5")`},
		{"approvals:\n  timeout: 5d\n", `c.yaml:2:12: bad approvals.timeout "5d" (write a duration such as 90s, 5m or 1h)`},
		{"approvals:\n  claude_ask: ask\n", `c.yaml:2:15: unknown approvals.claude_ask "ask" (one of: native, defer, wait, deny)`},
		{"store: /var/lib/x.db\n", `c.yaml:1:8: store "/var/lib/x.db" is not a URL (write a URL such as sqlite:///var/lib/safeclaw/state.db or postgres://host/db)`},
		{"store: mysql://x/y\n", `c.yaml:1:8: unsupported store scheme "mysql" (supported: sqlite, file, postgres, postgresql)`},
		{"store: postgress://x/y\n", `c.yaml:1:8: unsupported store scheme "postgress" (did you mean "postgres"?)`},
		{"audit: &a {durability: none}\n", `c.yaml:1:8: YAML anchors (&a) are not allowed (write the value out in full, so the file reads plainly)`},
		{"mode: enforce\nmode: shadow\n", `c.yaml:2:1: duplicate key "mode" (first defined at line 1)`},
		{"version: 2\n", `c.yaml:1:10: unsupported config version 2 (this safeclaw reads version 1 config files)`},
		{"- mode\n", `c.yaml:1:1: the config must be a mapping, not a list`},
	}
	for _, tt := range tests {
		_, err := Parse("c.yaml", []byte(tt.src))
		var ce *Error
		if err == nil || !errors.As(err, &ce) {
			t.Errorf("%q: got %v", tt.src, err)
			continue
		}
		if err.Error() != tt.want {
			t.Errorf("%q:\n got %s\nwant %s", tt.src, err, tt.want)
		}
	}
}

func TestCheckStore(t *testing.T) {
	for s, want := range map[string]string{
		"sqlite:///var/lib/safeclaw/state.db": "",
		"file:///var/lib/safeclaw":            "",
		"postgres://safeclaw@db.internal/sc":  "",
		"postgresql://db/sc?sslmode=require":  "",
		"mysql://db/x":                        `unsupported store scheme "mysql" (supported: sqlite, file, postgres, postgresql)`,
		"Postgres://db/x":                     `store "Postgres://db/x" is not a URL safeclaw reads`,
		"sqlite://relative/state.db":          `does not name an absolute path`,
		"/var/lib/safeclaw/state.db":          `is not a URL`,
		"postgres:db":                         `is not a URL safeclaw reads`,
		"postgress://db/x":                    `(did you mean "postgres"?)`,
	} {
		err := CheckStore(s)
		switch {
		case want == "" && err != nil:
			t.Errorf("%q: %v", s, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%q: error %v, want %q", s, err, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(DefaultYAML())
	f.Add([]byte(`{"mode":"shadow","audit":{"rotate_size":"1GB"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("c.yaml", data)
		c2, err2 := Parse("c.yaml", data)
		if (err == nil) != (err2 == nil) || (err != nil && err.Error() != err2.Error()) || (err == nil && !reflect.DeepEqual(c, c2)) {
			t.Fatal("nondeterministic")
		}
		if err != nil {
			var ce *Error
			if !errors.As(err, &ce) || !strings.HasPrefix(err.Error(), "c.yaml") {
				t.Fatalf("bad error %T %v", err, err)
			}
		}
	})
}

func TestWebhooks(t *testing.T) {
	good := `approvals:
  webhooks:
  - name: team
    url_file: ~/.config/safeclaw/slack.url
    format: slack
    secret_file: /etc/safeclaw/hook.key
  - name: relay
    url: https://relay.example/hook
    headers: {X-Team: infra}
`
	c, err := Parse("config.yaml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Approvals.Webhooks) != 2 || c.Approvals.Webhooks[0].Format != "slack" || c.Approvals.Webhooks[1].Format != "json" ||
		c.Approvals.Webhooks[1].Headers["X-Team"] != "infra" {
		t.Fatalf("webhooks = %+v", c.Approvals.Webhooks)
	}
	for _, bad := range []struct{ yaml, want string }{
		{"approvals:\n  webhooks:\n  - url: https://x\n", "config.yaml:3:5: webhook without a name"},
		{"approvals:\n  webhooks:\n  - name: a\n", "needs exactly one of url and url_file"},
		{"approvals:\n  webhooks:\n  - name: a\n    url: ftp://x\n", "bad url"},
		{"approvals:\n  webhooks:\n  - name: a\n    url: https://x\n    formt: slack\n", `unknown key "formt" in a webhook (did you mean "format"?)`},
		{"approvals:\n  webhooks:\n  - name: a\n    url: https://x\n    format: teams\n", "webhook format"},
		{"approvals:\n  webhooks:\n  - name: a\n    url: https://x\n    secret_file: key\n", "is relative"},
	} {
		_, err := Parse("config.yaml", []byte(bad.yaml))
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%q: error %v, want %q", bad.yaml, err, bad.want)
		}
	}
}

func TestOnStoreDown(t *testing.T) {
	c, err := Parse("config.yaml", []byte("approvals:\n  on_store_down: local\n"))
	if err != nil || c.Approvals.OnStoreDown != StoreDownLocal {
		t.Fatalf("%+v, %v", c, err)
	}
	if _, err := Parse("config.yaml", []byte("approvals:\n  on_store_down: allow\n")); err == nil || !strings.Contains(err.Error(), "config.yaml:2:18") {
		t.Fatalf("on_store_down: allow: %v", err)
	}
}

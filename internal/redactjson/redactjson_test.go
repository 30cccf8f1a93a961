package redactjson_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/safeclaw/safeclaw/audit"
	"github.com/safeclaw/safeclaw/internal/redactjson"
)

func TestMarkIsTheAuditTrails(t *testing.T) {
	if redactjson.Mark != audit.Redacted {
		t.Fatalf("Mark %q, audit.Redacted %q", redactjson.Mark, audit.Redacted)
	}
}

// Secrets are taken out of strings at any depth, keys too, whatever the
// text around them; numbers and everything else stay as written. Quick
// finds the same as Value.
func TestRedact(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{`{"content":[{"type":"text","text":"AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE"}]}`,
			`{"content":[{"text":"AWS_ACCESS_KEY_ID=AKIA[REDACTED]","type":"text"}]}`},
		{`{"content":[{"type":"text","text":"line\nAWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n"}],"n":1.50}`,
			`{"content":[{"text":"line\nAWS_ACCESS_KEY_ID=AKIA[REDACTED]\n","type":"text"}],"n":1.50}`},
		// An escape hides the token from a look at the text.
		{`{"text":"key: \u0041KIAIOSFODNN7EXAMPLE"}`, `{"text":"key: AKIA[REDACTED]"}`},
		{`{"text":"https:\/\/app:hunter2@db.example\/x"}`, `{"text":"https://app:[REDACTED]@db.example/x"}`},
		// The key says what the value is.
		{`{"structuredContent":{"password":"correct horse battery staple","user":"bob"}}`,
			`{"structuredContent":{"password":"[REDACTED]","user":"bob"}}`},
		{`{"contents":[{"uri":"file:///p/.env","text":"DATABASE_URL=postgres://app:s3cr3t-pw@db/x\n"}]}`,
			`{"contents":[{"text":"DATABASE_URL=postgres://app:[REDACTED]@db/x\n","uri":"file:///p/.env"}]}`},
	} {
		for name, fn := range map[string]func(json.RawMessage, redactjson.Redactor) (json.RawMessage, int){"Value": redactjson.Value, "Quick": redactjson.Quick} {
			out, n := fn(json.RawMessage(tt.in), audit.Redact)
			if string(out) != tt.want || n == 0 {
				t.Errorf("%s(%s)\n = %s (%d)\nwant %s", name, tt.in, out, n, tt.want)
			}
		}
	}
	for _, in := range []string{
		`{"content":[{"type":"text","text":"ok"}],"isError":false}`,
		`{"text":"line\nno secret here\n"}`,
		`not json AKIAIOSFODNN7EXAMPLE`,
		``,
		`{"a":1} {"b":"AKIAIOSFODNN7EXAMPLE"}`,
	} {
		for name, fn := range map[string]func(json.RawMessage, redactjson.Redactor) (json.RawMessage, int){"Value": redactjson.Value, "Quick": redactjson.Quick} {
			if out, n := fn(json.RawMessage(in), audit.Redact); string(out) != in || n != 0 {
				t.Errorf("%s(%s) = %s (%d), want it unchanged", name, in, out, n)
			}
		}
	}
}

func TestSafeTurnsAPanicIntoAnError(t *testing.T) {
	in := json.RawMessage(`{"text":"x\ny"}`)
	out, n, err := redactjson.Safe(in, func(string) (string, bool) { panic("boom") })
	if err == nil || !strings.Contains(err.Error(), "boom") || string(out) != string(in) || n != 0 {
		t.Fatalf("Safe = %s, %d, %v", out, n, err)
	}
}

// FuzzQuickMatchesValue: Quick, which decodes only when a look at the text
// finds something, gives what Value gives, for documents holding the
// fuzzed text as a value, as a key, and beside a secret-naming key.
func FuzzQuickMatchesValue(f *testing.F) {
	for _, s := range []string{"AKIAIOSFODNN7EXAMPLE", "correct horse", "postgres://a:b@c/d", "token=ghp_0123456789abcdefghijABCDEFGHIJ012345",
		"-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----", "Bearer abc.def.ghi", "x\nAKIAIOSFODNN7EXAMPLE", "ok", `a"b`, "é\u2028"} {
		f.Add(s, "password")
		f.Add(s, "text")
	}
	f.Fuzz(func(t *testing.T, s, key string) {
		sj, _ := json.Marshal(s)
		kj, _ := json.Marshal(key)
		for _, doc := range []string{
			`{"content":[{"type":"text","text":` + string(sj) + `}]}`,
			`{` + string(sj) + `:1}`,
			`{` + string(kj) + `:` + string(sj) + `,"n":2}`,
			`[` + string(sj) + `,` + string(kj) + `]`,
		} {
			v, vn := redactjson.Value(json.RawMessage(doc), audit.Redact)
			q, qn := redactjson.Quick(json.RawMessage(doc), audit.Redact)
			if string(v) != string(q) || vn != qn {
				t.Fatalf("doc %s\nValue %s (%d)\nQuick %s (%d)", doc, v, vn, q, qn)
			}
		}
	})
}

// BenchmarkQuick is the cost the MCP proxy adds to relaying a result
// without secrets, short and a page of text.
func BenchmarkQuick(b *testing.B) {
	page := strings.Repeat("total 48\\ndrwxr-xr-x  5 user user 4096 Nov 26 12:00 src\\n", 40)
	for name, doc := range map[string]string{
		"short": `{"content":[{"type":"text","text":"rows: 0 for select 1"}]}`,
		"page":  `{"content":[{"type":"text","text":"` + page + `"}],"isError":false}`,
	} {
		b.Run(name, func(b *testing.B) {
			raw := json.RawMessage(doc)
			for b.Loop() {
				if _, n := redactjson.Quick(raw, audit.Redact); n != 0 {
					b.Fatal("redacted")
				}
			}
		})
	}
}

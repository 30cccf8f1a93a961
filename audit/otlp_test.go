package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The OTLP export is OTLP/JSON as a collector reads it: one
// ExportLogsServiceRequest per line, batched; every record once, in
// order, with its time, severity, event name, summary and fields, and its
// stored line, which matches the JSON Lines export byte for byte.
func TestExportOTLP(t *testing.T) {
	s := newTestStore(t, FileOptions{})
	const n = otlpBatch + 3
	appendN(t, s, n)
	ctx := context.Background()
	var out, jsonl bytes.Buffer
	if err := Export(ctx, s, nil, &out, FormatOTLP); err != nil {
		t.Fatal(err)
	}
	if err := Export(ctx, s, nil, &jsonl, FormatJSONL); err != nil {
		t.Fatal(err)
	}
	stored := strings.Split(strings.TrimSuffix(jsonl.String(), "\n"), "\n")
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2 (a batch of %d and the rest)", len(lines), otlpBatch)
	}

	// Decoded generically, as a collector would: nothing relies on our types.
	type kv struct {
		Key   string         `json:"key"`
		Value map[string]any `json:"value"`
	}
	type logRecord struct {
		TimeUnixNano         string         `json:"timeUnixNano"`
		ObservedTimeUnixNano string         `json:"observedTimeUnixNano"`
		SeverityNumber       int            `json:"severityNumber"`
		SeverityText         string         `json:"severityText"`
		EventName            string         `json:"eventName"`
		Body                 map[string]any `json:"body"`
		Attributes           []kv           `json:"attributes"`
	}
	var records []logRecord
	for _, line := range lines {
		var req struct {
			ResourceLogs []struct {
				Resource struct {
					Attributes []kv `json:"attributes"`
				} `json:"resource"`
				ScopeLogs []struct {
					Scope struct {
						Name string `json:"name"`
					} `json:"scope"`
					LogRecords []logRecord `json:"logRecords"`
				} `json:"scopeLogs"`
			} `json:"resourceLogs"`
		}
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			t.Fatalf("line does not decode as OTLP/JSON logs: %v\n%.300s", err, line)
		}
		if len(req.ResourceLogs) != 1 || len(req.ResourceLogs[0].ScopeLogs) != 1 {
			t.Fatalf("want one resource and one scope per request: %.300s", line)
		}
		rl := req.ResourceLogs[0]
		if a := rl.Resource.Attributes; len(a) != 1 || a[0].Key != "service.name" || a[0].Value["stringValue"] != "safeclaw" {
			t.Errorf("resource attributes %v", a)
		}
		if rl.ScopeLogs[0].Scope.Name != "safeclaw.audit" {
			t.Errorf("scope %q", rl.ScopeLogs[0].Scope.Name)
		}
		records = append(records, rl.ScopeLogs[0].LogRecords...)
	}
	if len(records) != n {
		t.Fatalf("%d log records, want %d", len(records), n)
	}
	for i, lr := range records {
		attrs := map[string]map[string]any{}
		for _, a := range lr.Attributes {
			if _, dup := attrs[a.Key]; dup {
				t.Fatalf("record %d: attribute %s twice", i, a.Key)
			}
			attrs[a.Key] = a.Value
		}
		want := sampleRecord(i)
		if got := attrs["safeclaw.seq"]["intValue"]; got != strconv.Itoa(i+1) {
			t.Errorf("record %d: seq %v", i, got)
		}
		var rec struct {
			Time time.Time `json:"time"`
		}
		if err := json.Unmarshal([]byte(stored[i]), &rec); err != nil {
			t.Fatal(err)
		}
		if wantNanos := strconv.FormatInt(rec.Time.UnixNano(), 10); lr.TimeUnixNano != wantNanos || lr.ObservedTimeUnixNano != wantNanos {
			t.Errorf("record %d: times %q %q, want %s", i, lr.TimeUnixNano, lr.ObservedTimeUnixNano, wantNanos)
		}
		if got := attrs["safeclaw.decision"]["stringValue"]; got != want.Decision {
			t.Errorf("record %d: decision %v, want %s", i, got, want.Decision)
		}
		wantSev := severityInfo
		if want.Decision != Allow {
			wantSev = severityWarn
		}
		if lr.SeverityNumber != wantSev || lr.EventName != "safeclaw.decision" {
			t.Errorf("record %d: severity %d %s, event %q", i, lr.SeverityNumber, lr.SeverityText, lr.EventName)
		}
		if got := attrs["safeclaw.record"]["stringValue"]; got != stored[i] {
			t.Errorf("record %d: stored line\n got %v\nwant %s", i, got, stored[i])
		}
		body, _ := lr.Body["stringValue"].(string)
		if !strings.HasPrefix(body, want.Decision+" "+want.Actions[0].Kind) || !strings.Contains(body, strconv.Quote(want.Request)) {
			t.Errorf("record %d: body %q", i, body)
		}
		if want.Rule != nil && attrs["safeclaw.rule.name"]["stringValue"] != want.Rule.Name {
			t.Errorf("record %d: rule %v", i, attrs["safeclaw.rule.name"])
		}
		kinds, _ := attrs["safeclaw.actions"]["arrayValue"].(map[string]any)["values"].([]any)
		if len(kinds) != len(want.Actions) {
			t.Errorf("record %d: actions %v", i, attrs["safeclaw.actions"])
		}
	}
}

// The filter applies as to every format, and nothing matching writes
// nothing (not an empty request).
func TestExportOTLPFiltered(t *testing.T) {
	s := newTestStore(t, FileOptions{})
	appendN(t, s, 8)
	f, err := ParseFilter("decision:allow", t0)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := Export(context.Background(), s, f, &out, FormatOTLP); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(out.String(), `"safeclaw.decision","value":{"stringValue":"allow"}`); got != 2 {
		t.Errorf("%d allow records, want 2:\n%s", got, out.String())
	}
	if strings.Contains(out.String(), `"stringValue":"deny"`) {
		t.Error("a denied record passed the filter")
	}
	f, _ = ParseFilter("agent:nobody", t0)
	out.Reset()
	if err := Export(context.Background(), s, f, &out, FormatOTLP); err != nil || out.Len() != 0 {
		t.Errorf("no match: %q, %v", out.String(), err)
	}
}

// A long request is cut in the summary on a character boundary; the
// attribute keeps it whole.
func TestOTLPSummaryCutsOnRunes(t *testing.T) {
	r := &Record{Decision: Deny, Request: strings.Repeat("é", 150)}
	body := otlpSummary(r, TypeDecision)
	if !strings.HasSuffix(body, `…"`) || strings.ContainsRune(body, '\uFFFD') || !json.Valid([]byte(strconv.Quote(body))) {
		t.Errorf("summary %q", body)
	}
}

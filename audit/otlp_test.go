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

// Every record type reads sensibly: approvals say the answer, outcomes of
// failed tools warn (not error), prunes say what retention removed, and
// the fields of each (notes, approval scope and wait, request size and
// HMAC, the pruned range) are attributes of their OTLP types.
func TestOTLPRecordTypes(t *testing.T) {
	attrs := func(lr otlpLogRecord) map[string]otlpValue {
		m := map[string]otlpValue{}
		for _, a := range lr.Attributes {
			m[a.Key] = a.Value
		}
		return m
	}
	str := func(v otlpValue) string {
		if v.StringValue == nil {
			return ""
		}
		return *v.StringValue
	}
	num := func(v otlpValue) string {
		if v.IntValue == nil {
			return ""
		}
		return *v.IntValue
	}

	ap := otlpLog(&Record{Seq: 5, Time: t0, Type: TypeApproval, Decision: Deny, Request: "rm -rf build",
		Approval: &Approval{ID: "ap-1", Outcome: "expired", Scope: "once", Note: "nobody answered", WaitUS: 300000000},
		Notes:    []string{"approval expired (request ap-1)"}}, "{}")
	a := attrs(ap)
	if b := str(ap.Body); !strings.HasPrefix(b, "approval expired ") || ap.SeverityNumber != severityWarn || ap.EventName != "safeclaw.approval" ||
		str(a["safeclaw.approval.scope"]) != "once" || str(a["safeclaw.approval.note"]) != "nobody answered" ||
		num(a["safeclaw.approval.wait_us"]) != "300000000" || a["safeclaw.notes"].ArrayValue == nil ||
		str(a["safeclaw.notes"].ArrayValue.Values[0]) != "approval expired (request ap-1)" {
		t.Errorf("approval: %q %d %+v", b, ap.SeverityNumber, a)
	}

	out := otlpLog(&Record{Seq: 6, Time: t0, Type: TypeOutcome, Request: `Bash {"command":"go test ./..."}`, Error: "Exit code 1",
		RequestBytes: 70000, RequestHMAC: "ab12", Notes: []string{"event PostToolUseFailure"}}, "{}")
	a = attrs(out)
	if b := str(out.Body); !strings.HasPrefix(b, "outcome ") || out.SeverityNumber != severityWarn || out.EventName != "safeclaw.outcome" ||
		num(a["safeclaw.request_bytes"]) != "70000" || str(a["safeclaw.request_hmac"]) != "ab12" || str(a["safeclaw.error"]) != "Exit code 1" {
		t.Errorf("outcome: %q %d %+v", b, out.SeverityNumber, a)
	}
	if dec := otlpLog(&Record{Seq: 7, Time: t0, Decision: Deny, Error: "policy did not load"}, "{}"); dec.SeverityNumber != severityError {
		t.Errorf("a decision an error made: severity %d", dec.SeverityNumber)
	}

	pr := otlpLog(&Record{Seq: 9, Time: t0, Type: TypePrune, Prune: &Prune{Segments: []PrunedSegment{
		{Name: "seg-1", FirstSeq: 1, LastSeq: 4, Records: 4}, {Name: "seg-2", FirstSeq: 5, LastSeq: 8, Records: 4}}}}, "{}")
	a = attrs(pr)
	if b := str(pr.Body); b != "prune: 8 record(s) in 2 segment(s) removed by retention (seq 1-8)" || pr.EventName != "safeclaw.prune" ||
		num(a["safeclaw.prune.records"]) != "8" || num(a["safeclaw.prune.segments"]) != "2" ||
		num(a["safeclaw.prune.first_seq"]) != "1" || num(a["safeclaw.prune.last_seq"]) != "8" || pr.SeverityNumber != severityInfo {
		t.Errorf("prune: %q %+v", b, a)
	}
	// Every value has exactly one of its kinds set (no empty AnyValue).
	for _, lr := range []otlpLogRecord{ap, out, pr} {
		for _, kv := range lr.Attributes {
			v := kv.Value
			set := 0
			for _, ok := range []bool{v.StringValue != nil, v.IntValue != nil, v.BoolValue != nil, v.ArrayValue != nil} {
				if ok {
					set++
				}
			}
			if set != 1 {
				t.Errorf("%s: %d value kinds", kv.Key, set)
			}
		}
	}
}

// Lines stay under the size a collector reads whole: large records make
// smaller batches, none lost, each line one valid request.
func TestExportOTLPLineSize(t *testing.T) {
	s := newTestStore(t, FileOptions{})
	const n = 40
	for i := 0; i < n; i++ {
		r := sampleRecord(i)
		r.Request = strings.Repeat("x", 60<<10)
		if _, err := s.Append(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	var out bytes.Buffer
	if err := Export(context.Background(), s, nil, &out, FormatOTLP); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	total := 0
	for _, line := range lines {
		if len(line) > otlpMaxLine {
			t.Errorf("line of %d bytes", len(line))
		}
		var req otlpRequest
		if err := json.Unmarshal([]byte(line), &req); err != nil {
			t.Fatalf("%v: %.200s", err, line)
		}
		total += len(req.ResourceLogs[0].ScopeLogs[0].LogRecords)
	}
	if total != n || len(lines) < 2 {
		t.Errorf("%d records in %d lines", total, len(lines))
	}
}

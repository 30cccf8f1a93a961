package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// FormatOTLP is the OpenTelemetry logs export: OTLP/JSON, one
// ExportLogsServiceRequest per line, as the OpenTelemetry file exporter
// writes them and a collector's otlpjsonfile receiver reads them.
const FormatOTLP = "otlp"

// otlpBatch is how many records one line (one request) carries at most,
// and otlpMaxLine how many bytes: a collector's otlpjsonfile receiver reads
// lines of at most its max_log_size (1 MiB unless set) and cuts longer ones,
// which then no longer decode. A record is never split; one alone may pass
// the bound (a record holds at most a 64 KiB request, twice).
const (
	otlpBatch   = 256
	otlpMaxLine = 512 << 10
)

// OTLP severity numbers (logs data model).
const (
	severityInfo  = 9
	severityWarn  = 13
	severityError = 17
)

// The OTLP/JSON shapes: field names in lowerCamelCase, 64-bit integers as
// decimal strings, enums as numbers.
type (
	otlpRequest struct {
		ResourceLogs []otlpResourceLogs `json:"resourceLogs"`
	}
	otlpResourceLogs struct {
		Resource  otlpResource    `json:"resource"`
		ScopeLogs []otlpScopeLogs `json:"scopeLogs"`
	}
	otlpResource struct {
		Attributes []otlpKeyValue `json:"attributes"`
	}
	otlpScopeLogs struct {
		Scope      otlpScope       `json:"scope"`
		LogRecords []otlpLogRecord `json:"logRecords"`
	}
	otlpScope struct {
		Name string `json:"name"`
	}
	otlpLogRecord struct {
		TimeUnixNano         string         `json:"timeUnixNano"`
		ObservedTimeUnixNano string         `json:"observedTimeUnixNano"`
		SeverityNumber       int            `json:"severityNumber"`
		SeverityText         string         `json:"severityText"`
		EventName            string         `json:"eventName"`
		Body                 otlpValue      `json:"body"`
		Attributes           []otlpKeyValue `json:"attributes"`
	}
	otlpKeyValue struct {
		Key   string    `json:"key"`
		Value otlpValue `json:"value"`
	}
	otlpValue struct {
		StringValue *string         `json:"stringValue,omitempty"`
		IntValue    *string         `json:"intValue,omitempty"`
		BoolValue   *bool           `json:"boolValue,omitempty"`
		ArrayValue  *otlpArrayValue `json:"arrayValue,omitempty"`
	}
	otlpArrayValue struct {
		Values []otlpValue `json:"values"`
	}
)

func otlpString(s string) otlpValue { return otlpValue{StringValue: &s} }

func otlpInt(n int64) otlpValue {
	s := strconv.FormatInt(n, 10)
	return otlpValue{IntValue: &s}
}

// exportOTLP writes the records of s matching f as OTLP/JSON lines.
func exportOTLP(ctx context.Context, s Store, f *Filter, w io.Writer) error {
	// The request around the records, encoded once: the line is head,
	// the records joined by commas, tail.
	head, tail := otlpEnvelope()
	var line []byte
	count := 0
	flush := func() error {
		if count == 0 {
			return nil
		}
		line = append(line, tail...)
		line = append(line, '\n')
		_, err := w.Write(line)
		line, count = line[:0], 0
		return err
	}
	var canon []byte
	err := s.Query(ctx, f, func(r *Record) error {
		var err error
		// The stored line goes along, so that what a collector keeps can
		// still be checked against the trail record for record.
		if canon, err = appendRecord(canon[:0], r, true); err != nil {
			return err
		}
		b, err := json.Marshal(otlpLog(r, string(canon)))
		if err != nil {
			return err
		}
		if count > 0 && len(line)+1+len(b)+len(tail) > otlpMaxLine {
			if err := flush(); err != nil {
				return err
			}
		}
		if count == 0 {
			line = append(line, head...)
		} else {
			line = append(line, ',')
		}
		line = append(line, b...)
		count++
		if count == otlpBatch {
			return flush()
		}
		return nil
	})
	if err != nil {
		return err
	}
	return flush()
}

// otlpEnvelope is one request's JSON before and after its log records.
func otlpEnvelope() (head, tail []byte) {
	const mark = `"logRecords":[`
	req := otlpRequest{ResourceLogs: []otlpResourceLogs{{
		Resource:  otlpResource{Attributes: []otlpKeyValue{{Key: "service.name", Value: otlpString("safeclaw")}}},
		ScopeLogs: []otlpScopeLogs{{Scope: otlpScope{Name: "safeclaw.audit"}, LogRecords: []otlpLogRecord{}}},
	}}}
	b, _ := json.Marshal(req)
	i := strings.Index(string(b), mark) + len(mark)
	return b[:i], b[i:]
}

// otlpLog is one record as an OTLP log record: a one-line summary as the
// body, the record's fields as safeclaw.* attributes.
func otlpLog(r *Record, canonical string) otlpLogRecord {
	ts := strconv.FormatInt(r.Time.UnixNano(), 10)
	typ := r.Type
	if typ == "" {
		typ = TypeDecision
	}
	sev, sevText := severityInfo, "INFO"
	switch {
	case r.Error != "" && typ == TypeOutcome:
		// The tool failed (a test run that exits 1): worth a look, not
		// safeclaw's error.
		sev, sevText = severityWarn, "WARN"
	case r.Error != "":
		sev, sevText = severityError, "ERROR"
	case r.Decision == "deny" || r.Decision == "ask":
		sev, sevText = severityWarn, "WARN"
	}
	var attrs []otlpKeyValue
	add := func(key, v string) {
		if v != "" {
			attrs = append(attrs, otlpKeyValue{Key: "safeclaw." + key, Value: otlpString(v)})
		}
	}
	// addInt adds a number that is always there (seq, counts).
	addInt := func(key string, n int64) {
		attrs = append(attrs, otlpKeyValue{Key: "safeclaw." + key, Value: otlpInt(n)})
	}
	addInt("seq", int64(r.Seq))
	add("type", typ)
	add("surface", r.Surface)
	add("agent", r.Agent)
	add("session", r.Session)
	add("cwd", r.Cwd)
	add("decision", r.Decision)
	add("reason", r.Reason)
	if len(r.Actions) > 0 {
		kinds := make([]otlpValue, 0, len(r.Actions))
		for _, a := range r.Actions {
			kinds = append(kinds, otlpString(a.Kind))
		}
		attrs = append(attrs, otlpKeyValue{Key: "safeclaw.actions", Value: otlpValue{ArrayValue: &otlpArrayValue{Values: kinds}}})
	}
	add("request", r.Request)
	if r.RequestBytes > 0 {
		addInt("request_bytes", int64(r.RequestBytes))
	}
	add("request_hmac", r.RequestHMAC)
	if r.Redacted {
		t := true
		attrs = append(attrs, otlpKeyValue{Key: "safeclaw.redacted", Value: otlpValue{BoolValue: &t}})
	}
	if r.Rule != nil {
		add("rule.name", r.Rule.Name)
		add("rule.reason", r.Rule.Reason)
		add("rule.source", r.Rule.Source)
		add("rule.layer", r.Rule.Layer)
	}
	add("policy_hash", r.PolicyHash)
	if a := r.Approval; a != nil {
		add("approval.id", a.ID)
		add("approval.outcome", a.Outcome)
		add("approval.approver", a.Approver)
		add("approval.channel", a.Channel)
		add("approval.scope", a.Scope)
		add("approval.note", a.Note)
		if a.WaitUS > 0 {
			addInt("approval.wait_us", a.WaitUS)
		}
	}
	if r.LatencyUS > 0 {
		addInt("latency_us", r.LatencyUS)
	}
	add("mode", r.Mode)
	add("error", r.Error)
	if len(r.Notes) > 0 {
		notes := make([]otlpValue, len(r.Notes))
		for i, n := range r.Notes {
			notes[i] = otlpString(n)
		}
		attrs = append(attrs, otlpKeyValue{Key: "safeclaw.notes", Value: otlpValue{ArrayValue: &otlpArrayValue{Values: notes}}})
	}
	if p := r.Prune; p != nil {
		var n uint64
		for _, sg := range p.Segments {
			n += sg.Records
		}
		addInt("prune.segments", int64(len(p.Segments)))
		addInt("prune.records", int64(n))
		if len(p.Segments) > 0 {
			addInt("prune.first_seq", int64(p.Segments[0].FirstSeq))
			addInt("prune.last_seq", int64(p.Segments[len(p.Segments)-1].LastSeq))
		}
	}
	add("hash", r.Hash)
	add("record", canonical)
	return otlpLogRecord{
		TimeUnixNano:         ts,
		ObservedTimeUnixNano: ts,
		SeverityNumber:       sev,
		SeverityText:         sevText,
		EventName:            "safeclaw." + typ,
		Body:                 otlpString(otlpSummary(r, typ)),
		Attributes:           attrs,
	}
}

// otlpSummary is the log line a person reads: what was decided about what,
// and by which rule.
func otlpSummary(r *Record, typ string) string {
	var b strings.Builder
	if p := r.Prune; p != nil && typ == TypePrune {
		var n uint64
		for _, sg := range p.Segments {
			n += sg.Records
		}
		fmt.Fprintf(&b, "prune: %d record(s) in %d segment(s) removed by retention", n, len(p.Segments))
		if len(p.Segments) > 0 {
			fmt.Fprintf(&b, " (seq %d-%d)", p.Segments[0].FirstSeq, p.Segments[len(p.Segments)-1].LastSeq)
		}
		return b.String()
	}
	switch {
	case typ == TypeApproval && r.Approval != nil && r.Approval.Outcome != "":
		// Not a decision of the policy: a person's (or the clock's) answer.
		b.WriteString("approval " + r.Approval.Outcome)
	case r.Decision != "":
		b.WriteString(r.Decision)
	default:
		b.WriteString(typ)
	}
	for i, a := range r.Actions {
		if i == 0 {
			b.WriteByte(' ')
		} else {
			b.WriteByte(',')
		}
		b.WriteString(a.Kind)
	}
	if r.Request != "" {
		req := r.Request
		if len(req) > 200 {
			cut := 200
			for cut > 0 && !utf8.RuneStart(req[cut]) {
				cut--
			}
			req = req[:cut] + "…"
		}
		fmt.Fprintf(&b, " %q", req)
	}
	if r.Rule != nil && (r.Rule.Name != "" || r.Rule.Reason != "") {
		label := r.Rule.Name
		if label == "" {
			label = r.Rule.Reason
		}
		fmt.Fprintf(&b, " (rule %q)", label)
	}
	return b.String()
}

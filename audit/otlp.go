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

// otlpBatch is how many records one line (one request) carries: small
// enough for a collector's default request size limits.
const otlpBatch = 256

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
	var batch []otlpLogRecord
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		req := otlpRequest{ResourceLogs: []otlpResourceLogs{{
			Resource: otlpResource{Attributes: []otlpKeyValue{{Key: "service.name", Value: otlpString("safeclaw")}}},
			ScopeLogs: []otlpScopeLogs{{
				Scope:      otlpScope{Name: "safeclaw.audit"},
				LogRecords: batch,
			}},
		}}}
		b, err := json.Marshal(req)
		if err != nil {
			return err
		}
		batch = batch[:0]
		_, err = w.Write(append(b, '\n'))
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
		batch = append(batch, otlpLog(r, string(canon)))
		if len(batch) == otlpBatch {
			return flush()
		}
		return nil
	})
	if err != nil {
		return err
	}
	return flush()
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
	attrs = append(attrs, otlpKeyValue{Key: "safeclaw.seq", Value: otlpInt(int64(r.Seq))})
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
	}
	if r.LatencyUS > 0 {
		attrs = append(attrs, otlpKeyValue{Key: "safeclaw.latency_us", Value: otlpInt(r.LatencyUS)})
	}
	add("mode", r.Mode)
	add("error", r.Error)
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
	if r.Decision != "" {
		b.WriteString(r.Decision)
	} else {
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

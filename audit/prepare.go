package audit

import (
	"fmt"
	"slices"
	"time"
	"unicode/utf8"
)

// Prepare makes rec ready to be stored, as every [Store] does in Append:
// Type defaults to decision; a zero Time becomes now; facet args are
// normalised to decoded JSON; secrets are redacted from the request, the
// facets' command, url, host, path, server, detail and args, the reason,
// error, notes and approval note (see [Redact]); the request is shortened to [MaxRequestBytes]; and when the
// stored request differs from the original, RequestHMAC gets the keyed hash
// of the original. It fails for a record that cannot be stored (unknown type
// or decision, numbers out of range).
//
// The caller must decide on the original input: Prepare changes rec, but
// not what rec shares with the caller (the facets, notes, args and approval
// are copied before they are redacted).
func Prepare(rec *Record, key *Key, now time.Time) error {
	return prepare(rec, newSealer(key), now)
}

func prepare(rec *Record, s *sealer, now time.Time) error {
	if rec.Type == "" {
		rec.Type = TypeDecision
	}
	switch rec.Type {
	case TypeDecision, TypeApproval:
		switch rec.Decision {
		case Allow, Deny, Ask:
		default:
			return fmt.Errorf("record decision %q: want allow, deny or ask", rec.Decision)
		}
		if rec.Type == TypeApproval && rec.Approval == nil {
			return fmt.Errorf("approval record without approval details")
		}
	case TypeOutcome:
		// The action already ran: an outcome decides nothing.
		if rec.Decision != "" || rec.Approval != nil || rec.Prune != nil {
			return fmt.Errorf("outcome record with a decision, approval or prune details")
		}
	case TypePrune:
		if rec.Prune == nil {
			return fmt.Errorf("prune record without prune details")
		}
	default:
		return fmt.Errorf("unknown record type %q", rec.Type)
	}
	if rec.Time.IsZero() {
		rec.Time = now
	}
	rec.Time = rec.Time.UTC()
	if y := rec.Time.Year(); y < 1 || y > 9999 {
		return fmt.Errorf("record time %v out of range", rec.Time)
	}
	for _, n := range []int64{rec.LatencyUS, int64(rec.RequestBytes), approvalWait(rec.Approval)} {
		if n > maxSafeInt || n < -maxSafeInt {
			return fmt.Errorf("record number %d out of range", n)
		}
	}
	redacted := false
	red := func(p *string) {
		if out, did := Redact(*p); did {
			*p, redacted = out, true
		}
	}
	original := rec.Request
	// The slices and the approval may be shared with the caller's decision
	// (its notes, its facets): redact copies, never what the caller holds.
	rec.Actions = slices.Clone(rec.Actions)
	rec.Notes = slices.Clone(rec.Notes)
	if rec.Approval != nil {
		a := *rec.Approval
		rec.Approval = &a
		red(&a.Note)
	}
	for i := range rec.Actions {
		f := &rec.Actions[i]
		if f.Kind == "" {
			return fmt.Errorf("record action %d has no kind", i)
		}
		red(&f.Command)
		red(&f.URL)
		red(&f.Detail)
		red(&f.Host)
		red(&f.Path)
		red(&f.Server)
		if f.Args != nil {
			a, err := normalizeAny(f.Args)
			if err != nil {
				return fmt.Errorf("record action %d args: %w", i, err)
			}
			if a, did := redactAny(a); did {
				redacted = true
				f.Args = a
			} else {
				f.Args = a
			}
		}
	}
	red(&rec.Request)
	red(&rec.Reason)
	red(&rec.Error)
	for i := range rec.Notes {
		red(&rec.Notes[i])
	}
	if rec.Redacted {
		redacted = true // prepared before (a retried append): keep what it said
	}
	rec.Redacted = redacted
	if len(rec.Request) > MaxRequestBytes {
		cut := MaxRequestBytes
		for cut > 0 && !utf8.RuneStart(rec.Request[cut]) {
			cut--
		}
		if rec.RequestBytes == 0 {
			rec.RequestBytes = len(original)
		}
		rec.Request = rec.Request[:cut]
	}
	// Invalid UTF-8 is stored as U+FFFD (see appendString): that copy
	// differs from the original too, and different originals would
	// otherwise look the same.
	if (rec.Request != original || redacted || !utf8.ValidString(original)) && rec.RequestHMAC == "" {
		rec.RequestHMAC = s.input(original)
	}
	return nil
}

func approvalWait(a *Approval) int64 {
	if a == nil {
		return 0
	}
	return a.WaitUS
}

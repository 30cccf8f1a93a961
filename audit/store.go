package audit

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Store is an audit trail. The file store ([OpenFile]) is the embedded one;
// a fleet store (PostgreSQL) implements the same contract, which
// audit/audittest checks.
type Store interface {
	// Append prepares rec (see [Prepare]), assigns its sequence number and
	// chain fields, and stores it durably before returning its sequence
	// number. rec is updated in place. On error nothing was acknowledged and
	// the caller must deny.
	Append(ctx context.Context, rec *Record) (uint64, error)
	// Query calls fn for each stored record matching f (nil matches all),
	// in sequence order. fn may return [ErrStop] to end early.
	Query(ctx context.Context, f *Filter, fn func(*Record) error) error
	// Verify checks the whole trail and reports what it found. The error is
	// for failures to check (I/O, missing key), not for tampering, which the
	// report describes.
	Verify(ctx context.Context) (*Report, error)
	Close() error
}

// BatchAppender is implemented by stores that can append several records
// under one lock and one sync.
type BatchAppender interface {
	// AppendBatch appends recs in order and returns the last sequence number.
	AppendBatch(ctx context.Context, recs []*Record) (uint64, error)
}

// ErrStop ends a [Store.Query] early without error.
var ErrStop = errors.New("stop")

// ErrTampered is returned by Append when the trail's state shows tampering
// (a head seal that does not match, a log shorter than its head); appends stop
// so that the evidence is kept. Run verify, then move the trail aside.
var ErrTampered = errors.New("audit trail tampered")

// Problem kinds reported by Verify.
const (
	ProblemEdited      = "edited"         // the record's content does not match its hash
	ProblemUnsealed    = "unsealed"       // the seal (HMAC) does not match: forged or recomputed without the key
	ProblemMissing     = "missing"        // sequence numbers absent from the trail
	ProblemReordered   = "reordered"      // a record out of sequence order, or a duplicate
	ProblemBrokenLink  = "broken-link"    // prev does not equal the previous record's hash
	ProblemMalformed   = "malformed"      // not a record (unparsable line, missing fields)
	ProblemTruncated   = "truncated"      // the head seal says more records existed
	ProblemHeadMissing = "head-missing"   // the head seal file is gone but records exist
	ProblemHeadInvalid = "head-invalid"   // the head seal does not verify
	ProblemUnprovenGap = "unproven-prune" // the trail starts after seq 1 without a valid prune record
	ProblemMisplaced   = "misplaced"      // records moved between segments: a segment not named after its first record, or the head's record not where the head says
)

// Problem is one finding of Verify. Seq..Through is the range of sequence
// numbers it concerns (Through == Seq for one record); Seq is 0 only for
// problems that concern no record (an empty trail whose head is missing).
type Problem struct {
	Kind    string `json:"kind"`
	Seq     uint64 `json:"seq"`
	Through uint64 `json:"through"`
	Segment string `json:"segment,omitempty"`
	Line    int    `json:"line,omitempty"` // 1-based line in Segment
	Message string `json:"message"`
}

func (p Problem) String() string {
	where := ""
	if p.Segment != "" && p.Line > 0 {
		where = fmt.Sprintf(" (%s:%d)", p.Segment, p.Line)
	} else if p.Segment != "" {
		where = fmt.Sprintf(" (%s)", p.Segment)
	}
	seq := fmt.Sprintf("seq %d", p.Seq)
	if p.Through > p.Seq {
		seq = fmt.Sprintf("seq %d-%d", p.Seq, p.Through)
	}
	return fmt.Sprintf("%s: %s: %s%s", seq, p.Kind, p.Message, where)
}

// TornTail is an incomplete last line: a write cut short by a crash. It was
// never acknowledged; [FileStore.Repair] removes it, and the next append does.
type TornTail struct {
	Segment string `json:"segment"`
	Offset  int64  `json:"offset"`
	Bytes   int64  `json:"bytes"`
}

// Report is the result of Verify.
type Report struct {
	// Intact is true when no problem was found. A torn tail alone keeps the
	// trail intact (it is a crash artefact, not tampering) but is reported.
	Intact   bool      `json:"intact"`
	Records  uint64    `json:"records"`   // records checked
	FirstSeq uint64    `json:"first_seq"` // first record present (0 when empty)
	LastSeq  uint64    `json:"last_seq"`
	LastHash string    `json:"last_hash,omitempty"`
	HeadSeq  uint64    `json:"head_seq"`            // what the head seal vouches for
	Pruned   uint64    `json:"pruned,omitempty"`    // records before FirstSeq removed by retention, vouched for
	Segments int       `json:"segments,omitempty"`  // files walked (file store)
	Problems []Problem `json:"problems,omitempty"`  // in sequence order
	Torn     *TornTail `json:"torn_tail,omitempty"` // crash artefact at the end
	Notes    []string  `json:"notes,omitempty"`     // benign observations
}

// FirstBad returns the first problem (lowest sequence number), if any.
func (r *Report) FirstBad() (Problem, bool) {
	if len(r.Problems) == 0 {
		return Problem{}, false
	}
	return r.Problems[0], true
}

// Export formats.
const (
	FormatJSONL = "jsonl"
	FormatCSV   = "csv"
)

// csvHeader is the header row of a CSV export.
var csvHeader = []string{"seq", "time", "type", "surface", "agent", "session", "cwd", "decision",
	"actions", "request", "reason", "rule_name", "rule_reason", "rule_source", "policy_hash",
	"approval_outcome", "approver", "latency_us", "redacted", "hash"}

// Export writes the records of s matching f to w as JSON Lines (each line
// the record's canonical stored form), CSV (one row per record, see
// docs/audit.md for the columns; cells that a spreadsheet would run as a
// formula are prefixed with a quote) or OTLP/JSON log requests (see
// [FormatOTLP]).
func Export(ctx context.Context, s Store, f *Filter, w io.Writer, format string) error {
	switch format {
	case FormatJSONL:
		var buf []byte
		return s.Query(ctx, f, func(r *Record) error {
			var err error
			buf, err = appendRecord(buf[:0], r, true)
			if err != nil {
				return err
			}
			buf = append(buf, '\n')
			_, err = w.Write(buf)
			return err
		})
	case FormatOTLP:
		return exportOTLP(ctx, s, f, w)
	case FormatCSV:
		cw := csv.NewWriter(w)
		if err := cw.Write(csvHeader); err != nil {
			return err
		}
		err := s.Query(ctx, f, func(r *Record) error {
			return cw.Write(csvRow(r))
		})
		cw.Flush()
		if err != nil {
			return err
		}
		return cw.Error()
	}
	return fmt.Errorf("unknown export format %q (want %s, %s or %s)", format, FormatJSONL, FormatCSV, FormatOTLP)
}

func csvRow(r *Record) []string {
	var rule Rule
	if r.Rule != nil {
		rule = *r.Rule
	}
	var appr Approval
	if r.Approval != nil {
		appr = *r.Approval
	}
	row := []string{
		strconv.FormatUint(r.Seq, 10), formatTime(r.Time), r.Type, r.Surface, r.Agent, r.Session, r.Cwd,
		r.Decision, strings.Join(r.Kinds(), " "), r.Request, r.Reason, rule.Name, rule.Reason, rule.Source,
		r.PolicyHash, appr.Outcome, appr.Approver, strconv.FormatInt(r.LatencyUS, 10),
		strconv.FormatBool(r.Redacted), r.Hash,
	}
	for i, c := range row {
		row[i] = csvSafe(c)
	}
	return row
}

// csvSafe defuses spreadsheet formula injection (a request text of
// "=HYPERLINK(...)" must stay text).
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

package audit

import (
	"encoding/json"
	"strconv"
	"time"
)

// decodeRecord parses one stored line. Stored lines are canonical records,
// so a small decoder for exactly that shape does the work; anything it does
// not expect (a prune record, an unknown member, odd spacing) goes to
// encoding/json, which defines the result.
func decodeRecord(line []byte) (*Record, error) {
	r := new(Record)
	d := decoder{b: line}
	if d.record(r) {
		return r, nil
	}
	*r = Record{}
	if err := json.Unmarshal(line, r); err != nil {
		return nil, err
	}
	return r, nil
}

// decoder reads canonical JSON; every method returns false when it meets
// something it does not handle, and the caller falls back.
type decoder struct {
	b []byte
	i int
}

func (d *decoder) byte(c byte) bool {
	if d.i < len(d.b) && d.b[d.i] == c {
		d.i++
		return true
	}
	return false
}

func (d *decoder) peek(c byte) bool { return d.i < len(d.b) && d.b[d.i] == c }

// key reads "name": and returns the name (keys never need escapes).
func (d *decoder) key() (string, bool) {
	if !d.byte('"') {
		return "", false
	}
	start := d.i
	for d.i < len(d.b) && d.b[d.i] != '"' {
		if d.b[d.i] == '\\' {
			return "", false
		}
		d.i++
	}
	k := d.b[start:d.i]
	if !d.byte('"') || !d.byte(':') {
		return "", false
	}
	return string(k), true
}

func (d *decoder) str() (string, bool) {
	if !d.peek('"') {
		return "", false
	}
	start := d.i
	d.i++
	plain := true
	for d.i < len(d.b) {
		c := d.b[d.i]
		if c == '"' {
			d.i++
			if plain {
				return string(d.b[start+1 : d.i-1]), true
			}
			var s string
			if json.Unmarshal(d.b[start:d.i], &s) != nil {
				return "", false
			}
			return s, true
		}
		if c == '\\' {
			plain = false
			d.i++
		} else if c < 0x20 {
			return "", false
		} else if c >= 0x80 {
			plain = false // let encoding/json check the UTF-8
		}
		d.i++
	}
	return "", false
}

func (d *decoder) int() (int64, bool) {
	start := d.i
	if d.peek('-') {
		d.i++
	}
	digits := d.i
	for d.i < len(d.b) && d.b[d.i] >= '0' && d.b[d.i] <= '9' {
		d.i++
	}
	if d.i == digits || (d.b[digits] == '0' && d.i > digits+1) {
		return 0, false // JSON has no leading zeros
	}
	n, err := strconv.ParseInt(string(d.b[start:d.i]), 10, 64)
	return n, err == nil
}

func (d *decoder) boolean() (bool, bool) {
	switch {
	case d.i+4 <= len(d.b) && string(d.b[d.i:d.i+4]) == "true":
		d.i += 4
		return true, true
	case d.i+5 <= len(d.b) && string(d.b[d.i:d.i+5]) == "false":
		d.i += 5
		return false, true
	}
	return false, false
}

// object calls member for each key until the closing brace.
func (d *decoder) object(member func(k string) bool) bool {
	if !d.byte('{') {
		return false
	}
	if d.byte('}') {
		return true
	}
	for {
		k, ok := d.key()
		if !ok || !member(k) {
			return false
		}
		if d.byte('}') {
			return true
		}
		if !d.byte(',') {
			return false
		}
	}
}

func (d *decoder) array(elem func() bool) bool {
	if !d.byte('[') {
		return false
	}
	if d.byte(']') {
		return true
	}
	for {
		if !elem() {
			return false
		}
		if d.byte(']') {
			return true
		}
		if !d.byte(',') {
			return false
		}
	}
}

func (d *decoder) setStr(p *string) bool {
	s, ok := d.str()
	*p = s
	return ok
}

func (d *decoder) setInt(p *int64) bool {
	n, ok := d.int()
	*p = n
	return ok
}

func (d *decoder) record(r *Record) bool {
	ok := d.object(func(k string) bool {
		switch k {
		case "seq":
			n, ok := d.int()
			r.Seq = uint64(n)
			return ok && n >= 0
		case "time":
			s, ok := d.str()
			if !ok {
				return false
			}
			t, err := time.Parse(time.RFC3339Nano, s)
			r.Time = t
			return err == nil
		case "type":
			return d.setStr(&r.Type)
		case "surface":
			return d.setStr(&r.Surface)
		case "agent":
			return d.setStr(&r.Agent)
		case "session":
			return d.setStr(&r.Session)
		case "cwd":
			return d.setStr(&r.Cwd)
		case "request":
			return d.setStr(&r.Request)
		case "request_bytes":
			n, ok := d.int()
			r.RequestBytes = int(n)
			return ok
		case "request_hmac":
			return d.setStr(&r.RequestHMAC)
		case "redacted":
			b, ok := d.boolean()
			r.Redacted = b
			return ok
		case "decision":
			return d.setStr(&r.Decision)
		case "reason":
			return d.setStr(&r.Reason)
		case "policy_hash":
			return d.setStr(&r.PolicyHash)
		case "latency_us":
			return d.setInt(&r.LatencyUS)
		case "mode":
			return d.setStr(&r.Mode)
		case "error":
			return d.setStr(&r.Error)
		case "prev":
			return d.setStr(&r.Prev)
		case "hash":
			return d.setStr(&r.Hash)
		case "mac":
			return d.setStr(&r.MAC)
		case "notes":
			r.Notes = nil
			return d.array(func() bool {
				s, ok := d.str()
				r.Notes = append(r.Notes, s)
				return ok
			})
		case "rule":
			r.Rule = new(Rule)
			return d.rule(r.Rule)
		case "approval":
			r.Approval = new(Approval)
			return d.approval(r.Approval)
		case "actions":
			r.Actions = nil
			return d.array(func() bool {
				r.Actions = append(r.Actions, Facet{})
				return d.facet(&r.Actions[len(r.Actions)-1])
			})
		}
		return false // prune records and unknown members: encoding/json
	})
	return ok && d.i == len(d.b)
}

func (d *decoder) rule(x *Rule) bool {
	return d.object(func(k string) bool {
		switch k {
		case "name":
			return d.setStr(&x.Name)
		case "reason":
			return d.setStr(&x.Reason)
		case "source":
			return d.setStr(&x.Source)
		case "layer":
			return d.setStr(&x.Layer)
		case "builtin":
			b, ok := d.boolean()
			x.Builtin = b
			return ok
		}
		return false
	})
}

func (d *decoder) approval(x *Approval) bool {
	return d.object(func(k string) bool {
		switch k {
		case "id":
			return d.setStr(&x.ID)
		case "outcome":
			return d.setStr(&x.Outcome)
		case "approver":
			return d.setStr(&x.Approver)
		case "channel":
			return d.setStr(&x.Channel)
		case "scope":
			return d.setStr(&x.Scope)
		case "note":
			return d.setStr(&x.Note)
		case "wait_us":
			return d.setInt(&x.WaitUS)
		}
		return false
	})
}

func (d *decoder) facet(f *Facet) bool {
	return d.object(func(k string) bool {
		switch k {
		case "action":
			return d.setStr(&f.Kind)
		case "part", "port":
			n, ok := d.int()
			if k == "part" {
				f.Part = int(n)
			} else {
				f.Port = int(n)
			}
			return ok
		case "command":
			return d.setStr(&f.Command)
		case "program":
			return d.setStr(&f.Program)
		case "host":
			return d.setStr(&f.Host)
		case "path":
			return d.setStr(&f.Path)
		case "url":
			return d.setStr(&f.URL)
		case "tool":
			return d.setStr(&f.Tool)
		case "server":
			return d.setStr(&f.Server)
		case "detail":
			return d.setStr(&f.Detail)
		case "remote", "background":
			b, ok := d.boolean()
			if k == "remote" {
				f.Remote = b
			} else {
				f.Background = b
			}
			return ok
		case "args":
			end, err := skipValue(d.b, d.i, 1)
			if err != nil {
				return false
			}
			if json.Unmarshal(d.b[d.i:end], &f.Args) != nil {
				return false
			}
			d.i = end
			return true
		}
		return false
	})
}

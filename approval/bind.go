package approval

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"hash"
	"strconv"

	"github.com/safeclaw/safeclaw/action"
)

// bindVersion changes whenever the canonical form below changes, so that an
// old approval never matches a new request by accident.
// v2 added each view's program, options, positionals and guess flag, and
// each facet's recursive flag: fields the policy reads.
const bindVersion = "safeclaw-approval-v2"

// Bind returns the binding hash of req decided under the policy with hash
// policyHash: "sha256:" and the hex SHA-256 of a canonical encoding of the
// full input, every part (its text, argv views with every field the policy
// reads, and facets, which carry what a command leads to, such as an npm
// script's body), cwd, agent, session and surface. Request time is not covered. Two requests have the same hash only
// when safeclaw would see them as the same action in the same place.
//
// Strings are encoded as their raw bytes with a length prefix (not as JSON,
// which would fold invalid UTF-8 into U+FFFD and make different commands
// collide).
func Bind(req *action.Request, policyHash string) string {
	h := sha256.New()
	w := binder{h: h}
	w.str(bindVersion)
	w.str(req.Surface)
	w.str(req.Agent)
	w.str(req.Session)
	w.str(req.Cwd)
	w.str(req.Input)
	w.str(policyHash)
	w.num(len(req.Parts))
	for _, p := range req.Parts {
		w.str(p.Text)
		w.num(len(p.Views))
		for i := range p.Views {
			w.view(&p.Views[i])
		}
		w.num(len(p.Facets))
		for i := range p.Facets {
			w.facet(&p.Facets[i])
		}
	}
	if w.err != nil {
		// Args that cannot be encoded (never produced by decoding JSON)
		// bind to nothing that can be approved.
		return "unbindable: " + w.err.Error()
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

type binder struct {
	h   hash.Hash
	err error
}

func (b *binder) num(n int) {
	var buf [8]byte
	binary.BigEndian.PutUint64(buf[:], uint64(n))
	b.h.Write(buf[:])
}

func (b *binder) str(s string) {
	b.num(len(s))
	b.h.Write([]byte(s))
}

func (b *binder) flag(v bool) { b.str(strconv.FormatBool(v)) }

func (b *binder) view(v *action.Argv) {
	b.num(len(v.Words))
	for _, word := range v.Words {
		b.str(word)
	}
	b.str(v.Program)
	b.num(len(v.Options))
	for _, o := range v.Options {
		b.str(o.Name)
		b.str(o.Value)
		b.flag(o.HasValue)
	}
	b.num(len(v.Positionals))
	for _, p := range v.Positionals {
		b.str(p)
	}
	b.flag(v.Guess)
}

func (b *binder) facet(a *action.Action) {
	b.str(string(a.Kind))
	b.str(a.Command)
	b.str(a.Program)
	b.num(a.Port)
	b.str(a.Host)
	b.str(a.Path)
	b.str(a.URL)
	b.str(a.Tool)
	b.str(a.Server)
	// Args hold decoded JSON: encoding/json writes map keys sorted, so the
	// encoding is deterministic.
	args, err := json.Marshal(a.Args)
	if err != nil && b.err == nil {
		b.err = err
	}
	b.str(string(args))
	b.flag(a.Remote)
	b.flag(a.Background)
	b.str(a.Detail)
	b.flag(a.Recursive)
}

// bindable reports whether h is a hash Bind produced for a bindable request.
func bindable(h string) bool { return len(h) == len("sha256:")+64 && h[:7] == "sha256:" }

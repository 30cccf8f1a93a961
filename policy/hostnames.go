package policy

import (
	"sort"

	"github.com/safeclaw/safeclaw/action"
)

// HostNames returns the literal host names (no '*', not an IP or CIDR),
// lower-cased, sorted and without duplicates, that rules able to match kind
// test facets against. A layer that only sees IP addresses (the kernel
// under safeclaw run) resolves these names itself and adds facets carrying
// the names an address belongs to; the policy stays free of DNS.
func (p *Policy) HostNames(kind action.Kind) []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range p.rules {
		if !r.matchKind(kind) {
			continue
		}
		for i := range r.hosts {
			h := &r.hosts[i]
			if h.kind != hostGlob || !h.g.lit || h.g.pat == "" {
				continue
			}
			for _, name := range []string{h.g.pat, h.alt.pat} {
				// An internationalised name is resolved in its ASCII
				// (punycode) form; its Unicode form is kept as written.
				if name != "" && (name == h.g.pat || (h.hasAlt && h.alt.lit && isASCII(name))) && !seen[name] {
					seen[name] = true
					out = append(out, name)
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

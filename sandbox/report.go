package sandbox

import (
	"fmt"
	"io"
	"strings"
)

// Capabilities is what the running kernel offers the sandbox (see [Probe]).
type Capabilities struct {
	OS, Arch string
	Kernel   string // uname release
	// Implemented is false where this package has no enforcement code.
	Implemented bool
	// LandlockABI is the Landlock ABI version, 0 when Landlock is unavailable.
	LandlockABI int
	// SeccompNotify: seccomp user notification is available.
	SeccompNotify bool
	// PidfdGetfd: the supervisor can duplicate a target's descriptor.
	PidfdGetfd bool
	// PidfdThread: pidfd_open accepts thread ids (Linux 6.9+); without it the
	// thread group leader is used.
	PidfdThread bool
	// WaitKillable: a held system call is not restarted by signals (5.19+).
	WaitKillable bool
	// MountNamespace: the supervisor can give the target a private mount
	// namespace (root, or unprivileged user namespaces allowed).
	MountNamespace bool
	Root           bool
	// Notes explain unavailable features.
	Notes []string
}

// Coverage says which layers enforce one kind of rule, or why none does.
type Coverage struct {
	Subject string  // "network.listen", "shell.execute", ...
	Layers  []Layer // empty when not enforced
	// Gap is "" when enforced, else why not (printed as "NOT ENFORCED: gap")
	// or, when Layers is non-empty, what is weaker than it should be.
	Gap string
	// Network marks the rules --enforce require insists on.
	Network bool
}

// Enforced reports whether some kernel layer enforces the subject.
func (c Coverage) Enforced() bool { return len(c.Layers) > 0 }

// Report maps each kind of rule to the layer that enforces it.
type Report struct {
	Caps  Capabilities
	Mode  Mode
	Items []Coverage
	// AskChannel is false when asks cannot reach a human (they are denied).
	AskChannel bool
}

// Explain computes the report for a kernel and a mode. asks says whether an
// ask can reach a person (through [Spec.Ask] or the DecideFunc itself).
func Explain(c Capabilities, m Mode, asks bool) Report {
	r := Report{Caps: c, Mode: m, AskChannel: asks}
	if !c.Implemented {
		why := fmt.Sprintf("no kernel enforcement on %s/%s", c.OS, c.Arch)
		for _, s := range []string{"network.listen", "network.bind", "network.connect", "bypass deny set", "shell.execute", "self-protection"} {
			r.Items = append(r.Items, Coverage{Subject: s, Gap: why, Network: strings.HasPrefix(s, "network.") || s == "bypass deny set"})
		}
		return r
	}
	if m == Off {
		for _, s := range []string{"network.listen", "network.bind", "network.connect", "shell.execute"} {
			layers := []Layer(nil)
			if c.SeccompNotify {
				layers = []Layer{LayerAudit}
			}
			r.Items = append(r.Items, Coverage{Subject: s, Layers: layers, Gap: "mode off: recorded, never enforced"})
		}
		return r
	}
	notify := c.SeccompNotify && c.PidfdGetfd
	var netGap string
	switch {
	case !c.SeccompNotify:
		netGap = "seccomp user notification is unavailable"
	case !c.PidfdGetfd:
		netGap = "pidfd_getfd is unavailable (a container without CAP_SYS_PTRACE?), so socket operations cannot be emulated"
	}
	var weak []string
	if c.LandlockABI < 4 {
		weak = append(weak, "no Landlock TCP backstop (needs Landlock ABI 4, Linux 6.7): a unix-socket bind/connect whose descriptor is swapped by another thread could reach TCP")
	}
	if !c.WaitKillable {
		weak = append(weak, "held calls restart on signals (needs Linux 5.19), so an ask may be repeated")
	}
	net := func(subject, note string) Coverage {
		if !notify {
			return Coverage{Subject: subject, Gap: netGap, Network: true}
		}
		layers := []Layer{LayerEmulate}
		if c.LandlockABI >= 4 {
			layers = append(layers, LayerLandlock)
		}
		gap := strings.Join(append([]string{note}, weak...), "; ")
		return Coverage{Subject: subject, Layers: layers, Gap: strings.Trim(gap, "; "), Network: true}
	}
	r.Items = append(r.Items,
		net("network.listen", "any listen, including on an unbound (autobound) socket, IPv4 and IPv6, TCP and UDP servers (UDP bind)"),
		net("network.bind", "TCP binds are decided when the socket listens or connects; UDP binds when bound"),
		net("network.connect", "decided on the peer IP and port; host-name rules match through the addresses their names resolve to"),
	)
	if c.SeccompNotify {
		r.Items = append(r.Items, Coverage{Subject: "bypass deny set", Layers: []Layer{LayerStatic}, Network: true,
			Gap: "denied: i386/x32 system calls (process killed), io_uring, MPTCP/SCTP/raw/packet sockets, TCP Fast Open, IPv6 routing headers, terminal input injection (TIOCSTI), ptrace"})
	} else {
		r.Items = append(r.Items, Coverage{Subject: "bypass deny set", Gap: netGap, Network: true})
	}
	if c.SeccompNotify {
		r.Items = append(r.Items, Coverage{Subject: "shell.execute", Layers: []Layer{LayerAdvisory},
			Gap: "matching rules are applied at execve, advisory only: another thread can change the path after the check, and interpreters or ld.so run the same code; the policy default does not apply at execve"})
	} else {
		r.Items = append(r.Items, Coverage{Subject: "shell.execute", Gap: netGap})
	}
	if c.MountNamespace {
		r.Items = append(r.Items, Coverage{Subject: "self-protection", Layers: []Layer{LayerMount},
			Gap: "safeclaw's config and state are hidden, hook settings and policy files read-only (files that do not exist yet cannot be protected)"})
	} else {
		r.Items = append(r.Items, Coverage{Subject: "self-protection", Gap: "no private mount namespace (unprivileged user namespaces are disabled here): the target can read and change safeclaw's config, state and the agents' hook settings"})
	}
	if c.LandlockABI >= 6 {
		r.Items = append(r.Items, Coverage{Subject: "signals and abstract unix sockets", Layers: []Layer{LayerLandlock},
			Gap: "the target cannot signal or reach processes outside its tree (the supervisor included)"})
	} else {
		r.Items = append(r.Items, Coverage{Subject: "signals and abstract unix sockets", Gap: "needs Landlock ABI 6 (Linux 6.12)"})
	}
	return r
}

// Missing returns the network items --enforce require needs and does not get.
func (r Report) Missing() []Coverage {
	var out []Coverage
	for _, it := range r.Items {
		if it.Network && !it.Enforced() {
			out = append(out, it)
		}
	}
	return out
}

// Write prints the report, one line per kind of rule.
func (r Report) Write(w io.Writer) {
	c := r.Caps
	fmt.Fprintf(w, "safeclaw run: enforcement on %s/%s, kernel %s, Landlock ABI %d, mode %s\n", c.OS, c.Arch, orNone(c.Kernel), c.LandlockABI, r.Mode)
	for _, it := range r.Items {
		if it.Enforced() {
			ls := make([]string, len(it.Layers))
			for i, l := range it.Layers {
				ls[i] = string(l)
			}
			fmt.Fprintf(w, "  %-34s %s", it.Subject, strings.Join(ls, " + "))
			if it.Gap != "" {
				fmt.Fprintf(w, " (%s)", it.Gap)
			}
			fmt.Fprintln(w)
			continue
		}
		fmt.Fprintf(w, "  %-34s NOT ENFORCED: %s\n", it.Subject, it.Gap)
	}
	if r.Mode != Off {
		if r.AskChannel {
			fmt.Fprintf(w, "  %-34s held while a person decides; timeout denies\n", "ask rules")
		} else {
			fmt.Fprintf(w, "  %-34s denied: no approval channel\n", "ask rules")
		}
	}
	for _, n := range c.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
}

func orNone(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}

package shell

import (
	"strconv"
	"strings"

	"mvdan.cc/sh/v3/syntax"

	"github.com/safeclaw/safeclaw/action"
	"github.com/safeclaw/safeclaw/shell/catalog"
)

// redirect is one redirection with its words resolved.
type redirect struct {
	op syntax.RedirOperator
	// fd is the descriptor the redirection sets: "0", "1", "5", "{v}",
	// or "&" for both stdout and stderr (&>, >& file).
	fd     string
	target word  // file name or descriptor number
	body   *word // here-document or here-string content
}

// endpoint is a network peer named by /dev/tcp/HOST/PORT or /dev/udp/HOST/PORT.
type endpoint struct {
	host  string
	port  int
	proto string // "tcp" or "udp"
	path  string // the /dev path as written
}

// streamKind says what a command's stdin or stdout carries.
type streamKind uint8

const (
	streamPipe     streamKind = iota // output of a command, content unknown
	streamLiteral                    // text known from the command line
	streamFile                       // a file
	streamNetwork                    // a network peer
	streamDownload                   // content fetched from the network
	streamDecoded                    // decoded (base64 -d ...) content
)

// stream describes a command's stdin or stdout.
type stream struct {
	kind streamKind
	text string // the content, when known (literal, or decoded from a literal)
	// known is set when text is the exact content (or, with dyn, the
	// content with its dynamic pieces kept as source text).
	known   bool
	dyn     dynKind
	decoded bool      // passed through a decoder
	from    string    // what produced it, for details
	path    string    // streamFile: the file
	peer    *endpoint // streamNetwork: the peer, when known
	// files are the files whose content the stream is, concatenated (cat
	// FILE..., dd if=FILE), so a copy made through a redirection is
	// followed as cp is.
	files []string
}

// redirects resolves a statement's redirections.
func (a *analyzer) redirects(rs []*syntax.Redirect, r *resolver) []redirect {
	if len(rs) == 0 {
		return nil
	}
	out := make([]redirect, 0, len(rs))
	for _, rd := range rs {
		x := redirect{op: rd.Op}
		r.wordN = -1
		if rd.Word != nil {
			x.target = r.word(rd.Word)
		}
		switch rd.Op {
		case syntax.Hdoc, syntax.DashHdoc:
			b := a.heredoc(rd, r)
			x.body = &b
		case syntax.WordHdoc:
			b := x.target
			b.s += "\n"
			x.body = &b
		}
		x.fd = defaultFd(rd.Op, x.target.s)
		if rd.N != nil {
			x.fd = rd.N.Value
			if name, ok := strings.CutPrefix(x.fd, "{"); ok && strings.HasSuffix(name, "}") {
				// exec {fd}<>/dev/tcp/h/p: bash picks a descriptor and
				// stores it in $fd; later redirections say >&$fd.
				x.fd = "$" + strings.TrimSuffix(name, "}")
			}
		}
		out = append(out, x)
	}
	return out
}

func defaultFd(op syntax.RedirOperator, target string) string {
	switch op {
	case syntax.RdrOut, syntax.AppOut, syntax.RdrClob, syntax.AppClob:
		return "1"
	case syntax.DplOut:
		if isFdWord(target) {
			return "1"
		}
		return "&"
	case syntax.RdrAll, syntax.AppAll, syntax.RdrAllClob, syntax.AppAllClob:
		return "&"
	}
	return "0"
}

func isFdWord(s string) bool {
	if s == "-" {
		return true
	}
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// heredoc resolves a here-document body: literal when the delimiter is
// quoted, otherwise with expansions (kept as source text when dynamic).
func (a *analyzer) heredoc(rd *syntax.Redirect, r *resolver) word {
	if rd.Hdoc == nil {
		return word{}
	}
	quoted := false
	if rd.Word != nil {
		for _, p := range rd.Word.Parts {
			switch p := p.(type) {
			case *syntax.SglQuoted, *syntax.DblQuoted:
				quoted = true
			case *syntax.Lit:
				if strings.IndexByte(p.Value, '\\') >= 0 {
					quoted = true
				}
			}
		}
	}
	var w word
	if quoted {
		w = word{s: r.text(rd.Hdoc)}
		if len(rd.Hdoc.Parts) == 1 {
			if l, ok := rd.Hdoc.Parts[0].(*syntax.Lit); ok {
				w.s = l.Value
			}
		}
	} else {
		var b strings.Builder
		for _, p := range rd.Hdoc.Parts {
			if l, ok := p.(*syntax.Lit); ok {
				b.WriteString(unescapeHeredoc(l.Value))
				continue
			}
			// Expansions behave as inside double quotes.
			r.part(&b, &w, p, true, false)
		}
		w.s = b.String()
	}
	if rd.Op == syntax.DashHdoc {
		lines := strings.Split(w.s, "\n")
		for i, l := range lines {
			lines[i] = strings.TrimLeft(l, "\t")
		}
		w.s = strings.Join(lines, "\n")
	}
	w.raw = w.s
	return w
}

// devEndpoint parses /dev/tcp/HOST/PORT and /dev/udp/HOST/PORT.
func devEndpoint(p string) (*endpoint, bool) {
	var proto string
	switch {
	case strings.HasPrefix(p, "/dev/tcp/"):
		proto = "tcp"
	case strings.HasPrefix(p, "/dev/udp/"):
		proto = "udp"
	default:
		return nil, false
	}
	rest := p[len("/dev/tcp/"):]
	host, port, _ := strings.Cut(rest, "/")
	e := &endpoint{host: host, proto: proto, path: p}
	if n, err := strconv.Atoi(port); err == nil && n > 0 && n < 65536 {
		e.port = n
	}
	return e, true
}

// wiring is what a command's redirections do.
type wiring struct {
	facets []action.Action
	// net lists the network endpoints the command's descriptors reach.
	net []*endpoint
	// std holds the network endpoint on stdin, stdout and stderr, if any.
	std [3]*endpoint
	// stdin is what the redirections put on stdin (nil: unchanged).
	stdin *stream
	// stdout: the redirections send stdout away from the pipe; outPath
	// is the file when it is a static path, outAppend for >>.
	stdout    bool
	outPath   string
	outAppend bool
	// fdIn holds what other input descriptors carry (3<<EOF, 3<FILE,
	// 3< <(CMD), and those exec opened), for programs that read their
	// code from /dev/fd/N.
	fdIn map[string]*stream
}

// wire evaluates redirections in order for one command. exec without a
// command keeps the descriptors it opens for the rest of the text.
func (a *analyzer) wire(rs []redirect, execOnly bool) wiring {
	var w wiring
	w.fdIn = a.fdIn
	if len(rs) == 0 {
		return w
	}
	fdInOwned := false
	setIn := func(fd string, st *stream) {
		if !fdInOwned {
			m := make(map[string]*stream, len(w.fdIn)+1)
			for k, v := range w.fdIn {
				m[k] = v
			}
			w.fdIn, fdInOwned = m, true
		}
		if st == nil {
			delete(w.fdIn, fd)
		} else {
			w.fdIn[fd] = st
		}
	}
	fds := a.fds
	owned := false
	set := func(fd string, e *endpoint) {
		if !owned {
			m := make(map[string]endpoint, len(fds)+1)
			for k, v := range fds {
				m[k] = v
			}
			fds, owned = m, true
		}
		targets := []string{fd}
		if fd == "&" {
			targets = []string{"1", "2"}
		}
		for _, t := range targets {
			if e == nil {
				delete(fds, t)
			} else {
				fds[t] = *e
			}
		}
	}
	touchesStdout := func(fd string) bool { return fd == "1" || fd == "&" }
	for _, r := range rs {
		switch r.op {
		case syntax.Hdoc, syntax.DashHdoc, syntax.WordHdoc:
			set(r.fd, nil)
			if r.body != nil {
				st := &stream{kind: streamLiteral, text: r.body.s, known: true, dyn: r.body.dyn, from: "here-document"}
				if r.fd == "0" {
					w.stdin = st
				} else {
					setIn(r.fd, st)
				}
			}
			continue
		case syntax.DplIn, syntax.DplOut:
			if r.target.dyn != 0 && !strings.Contains(r.target.s, "/") {
				// >&$fd: a descriptor held in a variable (zsh ztcp's $REPLY).
				// A word with a slash is a path (>& /dev/tcp/h/$PORT).
				e, ok := fds[r.target.raw]
				if !ok {
					e, ok = fds[r.target.s]
				}
				if !ok {
					// >&${fd} and >&"$fd" name the same descriptor as >&$fd.
					e, ok = fds[strings.NewReplacer("${", "$", "}", "", `"`, "").Replace(r.target.raw)]
				}
				if ok {
					set(r.fd, &e)
					w.net = append(w.net, &e)
					if r.fd == "0" {
						w.stdin = &stream{kind: streamNetwork, peer: &e, from: e.path}
					}
				} else {
					set(r.fd, nil)
				}
				continue
			}
			if isFdWord(r.target.s) {
				if r.target.s == "-" {
					set(r.fd, nil)
				} else if e, ok := fds[r.target.s]; ok {
					set(r.fd, &e)
					w.net = append(w.net, &e)
				} else {
					set(r.fd, nil)
				}
				if r.fd == "0" {
					w.stdin = nil
					if e, ok := fds["0"]; ok {
						w.stdin = &stream{kind: streamNetwork, peer: &e, from: e.path}
					} else if st, ok := w.fdIn[r.target.s]; ok {
						w.stdin = st // bash <&3 after 3<FILE
					}
				} else if st, ok := w.fdIn[r.target.s]; ok && r.op == syntax.DplIn {
					setIn(r.fd, st)
				} else {
					setIn(r.fd, nil)
				}
				if touchesStdout(r.fd) && r.target.s != "1" {
					w.stdout = true
				}
				continue
			}
		}
		// A file (or device) target.
		t := r.target
		if e, ok := devEndpoint(t.s); ok {
			set(r.fd, e)
			w.net = append(w.net, e)
			if r.fd == "0" {
				w.stdin = &stream{kind: streamNetwork, peer: e, from: e.path}
			}
			if touchesStdout(r.fd) {
				w.stdout = true
			}
			continue
		}
		if dup, ok := devAlias(t.s); ok {
			if e, ok := fds[dup]; ok {
				set(r.fd, &e)
				w.net = append(w.net, &e)
			} else {
				set(r.fd, nil)
			}
			continue
		}
		set(r.fd, nil)
		if touchesStdout(r.fd) {
			w.stdout = true
		}
		if catalog.HarmlessDevice(t.s) || t.raw == "$(tty)" || t.raw == "`tty`" {
			continue // $(tty) is the terminal's device
		}
		p, detail := t.s, ""
		paths, tree, known := []string(nil), false, false
		if t.dyn&^dynGlob == 0 {
			// A glob names the files it matches (bash expands a redirection
			// target that yields one word); see catalog.Paths.
			paths, tree, known = catalog.Paths(t.s, a.cwd, a.env.Home)
		}
		if !known {
			detail = "path not known statically: " + t.raw
		} else {
			p = paths[0]
		}
		if !known && r.op != syntax.RdrIn && r.op != syntax.DplIn {
			// A write whose target cannot be worked out is denied, not
			// judged as if it were somewhere harmless.
			w.facets = append(w.facets, action.Action{Kind: action.ShellOpaque,
				Detail: "a redirection writes to a path not known statically: " + t.raw})
		}
		for _, extra := range paths[min(1, len(paths)):] {
			// The further files a glob target matched (bash refuses an
			// ambiguous redirection; what it would have opened is judged).
			k := action.FileWrite
			if r.op == syntax.RdrIn || r.op == syntax.DplIn {
				k = action.FileRead
			}
			w.facets = append(w.facets, action.Action{Kind: k, Path: extra, Recursive: tree})
		}
		switch r.op {
		case syntax.RdrIn:
			w.facets = append(w.facets, action.Action{Kind: action.FileRead, Path: p, Detail: detail, Recursive: tree})
			st := &stream{kind: streamFile, path: t.s, from: t.s}
			if ps := a.procStream(t); ps != nil {
				st = ps
			}
			if r.fd == "0" {
				w.stdin = st
			} else {
				setIn(r.fd, st)
			}
		case syntax.RdrInOut:
			w.facets = append(w.facets,
				action.Action{Kind: action.FileRead, Path: p, Detail: detail, Recursive: tree},
				action.Action{Kind: action.FileWrite, Path: p, Detail: detail, Recursive: tree})
		case syntax.DplIn:
			w.facets = append(w.facets, action.Action{Kind: action.FileRead, Path: p, Detail: detail, Recursive: tree})
		default:
			w.facets = append(w.facets, action.Action{Kind: action.FileWrite, Path: p, Detail: detail, Recursive: tree})
			if touchesStdout(r.fd) {
				// A dynamic path ($TF/setup.py) is kept as spelled: a later
				// command spelling it the same way reads what was written.
				w.outPath = t.s
				w.outAppend = r.op == syntax.AppOut || r.op == syntax.AppAll
			}
		}
	}
	for i, fd := range []string{"0", "1", "2"} {
		if e, ok := fds[fd]; ok {
			e := e
			w.std[i] = &e
		}
	}
	for _, e := range w.net {
		w.facets = append(w.facets, action.Action{
			Kind: action.NetworkConnect, Host: e.host, Port: e.port,
			Detail: "redirection to " + e.path,
		})
	}
	if execOnly && owned {
		a.fds = fds
	}
	if execOnly && fdInOwned {
		a.fdIn = w.fdIn
	}
	return w
}

// fdPath returns N for /dev/fd/N and /proc/self/fd/N (N not 0, which is
// stdin), or "".
func fdPath(p string) string {
	if n, ok := devAlias(p); ok && n != "0" && n != "1" && n != "2" {
		return n
	}
	return ""
}

// devAlias maps /dev/stdin, /dev/stdout, /dev/stderr and /dev/fd/N to the
// descriptor they duplicate.
func devAlias(p string) (string, bool) {
	switch p {
	case "/dev/stdin":
		return "0", true
	case "/dev/stdout":
		return "1", true
	case "/dev/stderr":
		return "2", true
	}
	for _, pre := range []string{"/dev/fd/", "/proc/self/fd/"} {
		if n, ok := strings.CutPrefix(p, pre); ok && isFdWord(n) && n != "-" {
			return n, true
		}
	}
	return "", false
}

// procStream returns what an input process substitution that is the whole
// word w writes, when that says more than "a pipe": literal or decoded
// text, a download or a network peer (sh < <(nc HOST PORT)). A plain pipe
// (source <(kubectl completion bash)) returns nil: its commands are parts
// of their own and the reader is judged as before.
func (a *analyzer) procStream(w word) *stream {
	if w.dyn&dynProc == 0 || !strings.HasPrefix(w.s, "<(") {
		return nil
	}
	out, ok := a.procOut[w.s]
	if ok && out.kind == streamPipe && len(out.files) > 0 {
		// <(cat FILE): the file itself; several: known when this text
		// wrote them all.
		if len(out.files) == 1 {
			return &stream{kind: streamFile, path: out.files[0], from: w.s}
		}
		if content, _, known := a.filesContent(out.files); known {
			return &stream{kind: streamLiteral, text: content, known: true, from: w.s}
		}
		return nil
	}
	if !ok || out.kind == streamPipe || out.kind == streamFile {
		return nil
	}
	c := *out
	if c.from == "" {
		c.from = w.s
	}
	return &c
}

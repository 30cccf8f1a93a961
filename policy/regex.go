package policy

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"sync"
)

// Regular expressions are RE2 (Go's regexp): matching is linear in the input,
// so there is no catastrophic backtracking (I7). Its cost still grows with
// the compiled program, and a project policy is written by the agent, so
// each expression and each file is bounded.
const (
	// maxRegexLen bounds an expression's source: compiling a long literal
	// costs time before its size can be checked.
	maxRegexLen = 4096
	// maxRegexInsts bounds one compiled expression ([\p{L}]{1000} is about
	// 1000 instructions; a typical rule's is under 100).
	maxRegexInsts = 2000
	// maxFileRegexInsts bounds all the expressions of one file: each
	// decision may run all of them over every view of a command.
	maxFileRegexInsts = 100_000
)

// lazyRegexp is a command_regex: checked when the policy is read
// (checkRegex), compiled when a decision first needs it. A hook process
// loads the policy to decide one request, which runs few of its
// expressions, and compiling one costs more than checking it.
type lazyRegexp struct {
	src  string
	once sync.Once
	re   *regexp.Regexp
}

func (l *lazyRegexp) get() *regexp.Regexp {
	l.once.Do(func() {
		// checkRegex parsed it with the flags regexp.Compile uses.
		l.re = regexp.MustCompile(l.src)
	})
	return l.re
}

// checkRegex checks an RE2 expression against the size bounds and returns
// its cost (compiled instructions), without building the matcher. The hint
// is for the error; what names the field in it.
func checkRegex(what, s string) (cost int, hint string, err error) {
	if len(s) > maxRegexLen {
		return 0, "split it into several rules or simplify it", fmt.Errorf("regular expression is %d bytes long; at most %d are allowed", len(s), maxRegexLen)
	}
	rehint := what + " is RE2 syntax: no backreferences or lookaround"
	parsed, err := syntax.Parse(s, syntax.Perl)
	if err != nil {
		return 0, rehint, err
	}
	prog, err := syntax.Compile(parsed.Simplify())
	if err != nil {
		return 0, rehint, err
	}
	if len(prog.Inst) > maxRegexInsts {
		return 0, "use smaller repetition counts or split it into several rules",
			fmt.Errorf("regular expression is too complex (%d instructions compiled; at most %d)", len(prog.Inst), maxRegexInsts)
	}
	return len(prog.Inst), "", nil
}

// compileRegex compiles an RE2 expression within the size bounds and
// returns its cost (compiled instructions). The hint is for the error.
// what names the field in the hint ("command_regex", "regex").
func compileRegex(what, s string) (re *regexp.Regexp, cost int, hint string, err error) {
	if cost, hint, err = checkRegex(what, s); err != nil {
		return nil, 0, hint, err
	}
	if re, err = regexp.Compile(s); err != nil {
		return nil, 0, what + " is RE2 syntax: no backreferences or lookaround", err
	}
	return re, cost, "", nil
}

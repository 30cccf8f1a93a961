// Package policy loads, checks, compiles and evaluates safeclaw policies.
//
// A policy file (YAML or JSON) lists rules; [Parse] loads one file strictly
// (unknown keys, wrong types, bad globs, regexes, ports, CIDRs, durations
// and time zones, rules that can match nothing, YAML anchors, tags and
// merge keys are errors naming file:line:col, with a hint). [Compile] joins
// files in order into one [Policy] layer and indexes its rules by action
// kind and program name. [Policy.Decide] then evaluates an
// [action.Request]:
//
//  1. For each part, built-in self-protection first ([Options.ProtectWrite],
//     [Options.ProtectRead]), then the first rule in file order that matches
//     one of the part's facets decides the part. A rule matches a facet when
//     each of its matchers holds: command matchers test the part's views
//     (one view must satisfy all of them), action/port/host/path/url/uri/
//     tool/server and args written as a mapping (tool argument values, see
//     args.go) test the facet (url both as written and as the server reads
//     it, see url.go), agent tests the request, and its conditions (expiry,
//     schedule) hold at the request's time.
//  2. The built-in tail rules deny a part with a shell.opaque or shell.remote
//     facet unless the deciding rule names that kind exactly; then the
//     policy's default decides parts no rule matched.
//  3. The request's decision is the most restrictive part (deny > ask >
//     allow); the reported rule is the one that decided that part.
//
// [DecideLayers] combines managed, user, project and "always" layers.
// [Policy.Explain] shows every rule tried and why; [Lint] finds shadowed,
// dead and risky rules; [Schema] is the file format's JSON Schema; [Default]
// is the built-in default policy. docs/policy.md is the user documentation.
//
// Decide does not allocate in its match step and takes well under a
// microsecond for the brief's policy (see the benchmarks).
//
// # Current limitations
//
//   - Only '*' is a wildcard in globs ('?' and [...] are literal); globs have
//     no escape for a literal '*'.
//   - For programs without an option spec in package action, --name=value and
//     --name value are different spellings, and a pattern's positionals must be
//     a prefix of the command's, so options that take a separate value can
//     shift positionals (git -C dir status is not "git status").
//   - A port matcher other than "*" never matches a facet whose port is
//     unknown (0).
//   - Lint's coverage analysis is conservative: it reports a rule as
//     shadowed only when it can prove it.
//   - Paths and program names are matched case-sensitively, also on a
//     case-insensitive file system (macOS by default), where ~/.SSH is
//     ~/.ssh.
//   - Regular expressions are RE2 and bounded (regex.go): 4096 bytes and
//     2000 compiled instructions each, 100000 per file.
package policy

import (
	// Time zones in schedules must load the same on every machine, also
	// where the system has no zoneinfo.
	_ "time/tzdata"
)

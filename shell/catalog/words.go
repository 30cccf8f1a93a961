package catalog

import (
	"strconv"
	"strings"
)

// Helpers that read a program's words directly. The shared option table in
// package action covers the programs policies name most often; the catalogue
// knows many more, so it reads their options itself, per program, from the
// words as written (after argv0).

// eachName calls fn for every space-separated name in list, stopping when fn
// returns true. It does not allocate, because it runs on every command.
func eachName(list string, fn func(name string) bool) bool {
	for list != "" {
		var name string
		name, list, _ = strings.Cut(list, " ")
		if name != "" && fn(name) {
			return true
		}
	}
	return false
}

func inList(list, s string) bool {
	return eachName(list, func(n string) bool { return n == s })
}

// optValue returns the value of the first option in names ("-p --port"),
// written as --port=8080, --port 8080, -p 8080, -p8080, or last in a cluster
// of single-letter flags (-dp 8080). Single-dash names longer than one letter
// (-listen) take --name forms too.
func optValue(words []string, names string) (string, bool) {
	for i := 0; i < len(words); i++ {
		w := words[i]
		if w == "--" {
			return "", false
		}
		if len(w) < 2 || w[0] != '-' {
			continue
		}
		var val string
		found := eachName(names, func(n string) bool {
			switch {
			case w == n:
				if i+1 < len(words) {
					val = words[i+1]
				}
				return true
			case strings.HasPrefix(w, n+"="):
				val = w[len(n)+1:]
				return true
			case len(n) == 2 && n[0] == '-' && n[1] != '-' && w[1] != '-':
				// -p8080, or a cluster -dp 8080 ending in the letter.
				if w[1] == n[1] && len(w) > 2 && !isLetters(w[2:]) {
					val = w[2:]
					return true
				}
				if k := strings.IndexByte(w, n[1]); k > 1 && isLetters(w[1:k]) {
					if k == len(w)-1 {
						if i+1 < len(words) {
							val = words[i+1]
						}
						return true
					}
					if isDigits(w[k+1:]) {
						val = w[k+1:]
						return true
					}
				}
			}
			return false
		})
		if found {
			return val, true
		}
	}
	return "", false
}

// hasOpt reports whether any of names appears as an option: exactly, as
// --name=value, or (for single letters) inside a cluster of letters (-lvnp).
func hasOpt(words []string, names string) bool {
	for _, w := range words {
		if w == "--" {
			return false
		}
		if len(w) < 2 || w[0] != '-' {
			continue
		}
		if eachName(names, func(n string) bool {
			if w == n || strings.HasPrefix(w, n+"=") {
				return true
			}
			if len(n) == 2 && n[0] == '-' && n[1] != '-' && w[1] != '-' {
				// In a cluster: every byte before it is a letter.
				k := strings.IndexByte(w, n[1])
				return k > 0 && isLetters(w[1:k+1])
			}
			return false
		}) {
			return true
		}
	}
	return false
}

// positionals returns the words that are not options, skipping the values of
// the options in valued (space-separated names, "-p --port"). A "--" ends
// options.
func positionals(words []string, valued string) []string {
	var out []string
	for i := 0; i < len(words); i++ {
		w := words[i]
		if w == "--" {
			return append(out, words[i+1:]...)
		}
		if len(w) < 2 || w[0] != '-' {
			out = append(out, w)
			continue
		}
		if strings.Contains(w, "=") {
			continue
		}
		if valued != "" && inList(valued, w) {
			i++
		}
	}
	return out
}

// firstPositional is positionals(words, valued)[0], or "".
func firstPositional(words []string, valued string) string {
	for i := 0; i < len(words); i++ {
		w := words[i]
		if w == "--" {
			if i+1 < len(words) {
				return words[i+1]
			}
			return ""
		}
		if len(w) < 2 || w[0] != '-' {
			return w
		}
		if !strings.Contains(w, "=") && valued != "" && inList(valued, w) {
			i++
		}
	}
	return ""
}

// wantsHelp reports whether the words ask for help or a version rather than
// for the program to do its work.
func wantsHelp(words []string) bool {
	for i, w := range words {
		switch w {
		case "--help", "-help", "-?", "--version", "-version", "--usage", "/?":
			return true
		case "-h":
			// -h is help unless it carries a value (lt -h HOST, redis -h HOST).
			if i+1 == len(words) || strings.HasPrefix(words[i+1], "-") {
				return true
			}
		case "--":
			return false
		}
	}
	first := firstPositional(words, "")
	return first == "help" || first == "version" || first == "completion" || first == "completions"
}

func isLetters(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') {
			return false
		}
	}
	return true
}

func isDigits(s string) bool {
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

// portNumber parses a decimal port (1-65535); 0 when s is not one.
func portNumber(s string) int {
	if !isDigits(s) || len(s) > 5 {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 65535 {
		return 0
	}
	return n
}

// hostPort reads an address as programs write it: "8080", ":8080",
// "0.0.0.0:8080", "[::]:8080", "localhost:8080", "tcp://h:8080/path",
// "0:80". A value that is not an address gives ("", 0).
func hostPort(s string) (host string, port int) {
	if i := strings.Index(s, "://"); i >= 0 {
		s = s[i+3:]
		if j := strings.IndexByte(s, '/'); j >= 0 {
			s = s[:j]
		}
		if k := strings.LastIndexByte(s, '@'); k >= 0 {
			s = s[k+1:]
		}
	}
	if p := portNumber(s); p != 0 {
		return "", p
	}
	if strings.HasPrefix(s, "[") {
		if end := strings.Index(s, "]"); end > 0 {
			host = s[1:end]
			rest := s[end+1:]
			if strings.HasPrefix(rest, ":") {
				port = portNumber(rest[1:])
			}
			return host, port
		}
	}
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		if looksLikeHost(s) {
			return s, 0
		}
		return "", 0
	}
	if strings.Count(s, ":") > 1 {
		// A bare IPv6 address, no port.
		return s, 0
	}
	host, port = s[:i], portNumber(s[i+1:])
	if port == 0 && s[i+1:] != "" {
		return "", 0
	}
	return host, port
}

// looksLikeHost reports whether s could be a host name or an IP address.
func looksLikeHost(s string) bool {
	if s == "" || len(s) > 253 || strings.ContainsAny(s, "/\\$`'\"{}()<>|;&*?=, ") {
		return false
	}
	return true
}

// urlHost returns the host and port of a URL or host[:port] string.
func urlHost(raw string) (host string, port int) {
	s := raw
	if i := strings.Index(s, "://"); i >= 0 {
		s = s[i+3:]
	}
	if j := strings.IndexAny(s, "/?#"); j >= 0 {
		s = s[:j]
	}
	if k := strings.LastIndexByte(s, '@'); k >= 0 {
		s = s[k+1:]
	}
	return hostPort(s)
}

// nameTokens splits a program name into lower-case words at separators and
// camel-case humps: "ArkAscendedServer" → ark ascended server,
// "start-server.sh" → start server sh.
func nameTokens(name string, fn func(tok string) bool) bool {
	start := 0
	emit := func(end int) bool {
		if end > start {
			return fn(strings.ToLower(name[start:end]))
		}
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '-' || c == '_' || c == '.' || c == '+' || c == '@':
			if emit(i) {
				return true
			}
			start = i + 1
		case c >= 'A' && c <= 'Z' && i > start && name[i-1] >= 'a' && name[i-1] <= 'z':
			if emit(i) {
				return true
			}
			start = i
		}
	}
	return emit(len(name))
}

// unquote strips one level of matching quotes around s.
func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1]
	}
	return s
}

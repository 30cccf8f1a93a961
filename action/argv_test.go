package action

import (
	"reflect"
	"testing"
)

func TestProgramName(t *testing.T) {
	for in, want := range map[string]string{
		"/usr/local/bin/python3.12": "python",
		"python3":                   "python",
		"python":                    "python",
		"pythonista":                "pythonista",
		"base64":                    "base64",
		"bzip2":                     "bzip2",
		"php8.2":                    "php",
		"nodejs":                    "node",
		"/bin/bash":                 "bash",
		"pip3":                      "pip",
	} {
		if got := ProgramName(in); got != want {
			t.Errorf("ProgramName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseArgv(t *testing.T) {
	tests := []struct {
		words []string
		opts  []Option
		pos   []string
	}{
		{[]string{"python3", "-mhttp.server", "8080"}, []Option{{Name: "-m", Value: "http.server", HasValue: true}}, []string{"8080"}},
		{[]string{"python3", "-u", "-m", "http.server", "--bind", "0.0.0.0"}, []Option{{Name: "-u"}, {Name: "-m", Value: "http.server", HasValue: true}}, []string{"--bind", "0.0.0.0"}},
		{[]string{"nc", "-lvnp", "4444"}, []Option{{Name: "-l"}, {Name: "-v"}, {Name: "-n"}, {Name: "-p", Value: "4444", HasValue: true}}, nil},
		{[]string{"ssh", "-NR", "8080:localhost:3000", "h", "ls", "-l"}, []Option{{Name: "-N"}, {Name: "-R", Value: "8080:localhost:3000", HasValue: true}}, []string{"h", "ls", "-l"}},
		{[]string{"ssh", "h", "-L", "1:h:2", "-N", "ls", "-l"}, []Option{{Name: "-L", Value: "1:h:2", HasValue: true}, {Name: "-N"}}, []string{"h", "ls", "-l"}},
		{[]string{"curl", "--data", "@.env", "https://x"}, []Option{{Name: "-d", Value: "@.env", HasValue: true}}, []string{"https://x"}},
		{[]string{"lt", "--port", "8080"}, []Option{{Name: "-p", Value: "8080", HasValue: true}}, nil},
		{[]string{"rm", "--recursive", "--force", "/"}, []Option{{Name: "-r"}, {Name: "-f"}}, []string{"/"}},
		{[]string{"frob", "-rf", "--level=3", "-O2", "x", "--", "-y"}, []Option{{Name: "-r"}, {Name: "-f"}, {Name: "--level", Value: "3", HasValue: true}, {Name: "-O2"}}, []string{"x", "-y"}},
		{[]string{"find", ".", "-name", "x"}, []Option{{Name: "-name"}}, []string{".", "x"}},
	}
	for _, tt := range tests {
		a := ParseArgv(tt.words)
		if !reflect.DeepEqual(a.Options, tt.opts) || !reflect.DeepEqual(a.Positionals, tt.pos) {
			t.Errorf("ParseArgv(%q) = options %+v positionals %q, want %+v %q", tt.words, a.Options, a.Positionals, tt.opts, tt.pos)
		}
	}
}

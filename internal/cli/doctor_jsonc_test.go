package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestStripJSONComments(t *testing.T) {
	for in, want := range map[string]string{
		`{"a":1} // x`:                    `{"a":1}     `,
		"{/* a\n b */\"a\":1}":            "{    \n     \"a\":1}",
		`{"u":"http://x/*y*/"}`:           `{"u":"http://x/*y*/"}`,
		`{"s":"a\"//b"}`:                  `{"s":"a\"//b"}`,
		"{\"a\":1}\r\n// c\r\n":           "{\"a\":1}\r\n    \r\n",
		`{"a":1} /* never closed`:         `{"a":1}                `,
		`{"a":"\\"}//`:                    `{"a":"\\"}  `,
		`{"a":[1,2]/*,3*/}`:               `{"a":[1,2]      }`,
		`{"k//":"v/*"}`:                   `{"k//":"v/*"}`,
		"// only a comment\n{\"a\":true}": "                 \n{\"a\":true}",
	} {
		if got := string(stripJSONComments([]byte(in))); got != want {
			t.Errorf("%q: got %q, want %q", in, got, want)
		}
	}
}

// TestDoctorGeminiComments: Gemini CLI reads its settings files with
// comments; doctor read them as plain JSON, so hooks switched off in a
// commented system settings file (or hooks.disabled naming safeclaw) went
// unreported, and a commented user file was said to be unreadable by
// Gemini. install refuses such a file (it cannot keep the comments) and
// says why.
func TestDoctorGeminiComments(t *testing.T) {
	e := testEnv(t)
	bin := fakeSafeclaw(t)
	user := filepath.Join(e.Home, ".gemini", "settings.json")
	writeFile(t, user, "// mine\n"+geminiSettings(bin, "safeclaw", ""), 0o644)
	doctorSays(t, e, []string{"ok    gemini: hook installed in " + user}, []string{"FAIL  gemini"})

	system := filepath.Join(e.SystemDir, "etc", "gemini-cli", "settings.json")
	writeFile(t, system, "{\n  // set by IT\n  \"hooksConfig\": {\"enabled\": false, /* for now */ \"disabled\": [\"safeclaw\"]}\n}\n", 0o644)
	doctorSays(t, e, []string{
		"FAIL  gemini: " + system + `: "hooksConfig.enabled": false turns Gemini's hooks off; remove it`,
		"FAIL  gemini: " + system + `: "hooksConfig.disabled" lists "safeclaw"`,
	}, nil)

	before, _ := os.ReadFile(user)
	code, _, errOut := run(t, e, "", "install", "gemini", "--binary", bin)
	if code == 0 || !strings.Contains(errOut, "has comments, which Gemini CLI reads but safeclaw cannot keep") {
		t.Errorf("install: exit %d: %s", code, errOut)
	}
	if after, _ := os.ReadFile(user); string(after) != string(before) {
		t.Errorf("install changed the file:\n%s", after)
	}
}

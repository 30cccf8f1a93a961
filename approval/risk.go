package approval

import (
	"path"
	"strings"
	"unicode"

	"github.com/safeclaw/safeclaw/action"
)

// RiskTags are advisory labels for a person deciding on req: what kind of
// harm the request could do, beside what the rule says. They never change
// a decision. req's paths are canonical (absolute); home is the user's.
func RiskTags(req *action.Request, home string) []string {
	if req == nil {
		return nil
	}
	var obfuscated, external, credential, destructive, persistent bool
	lookalike := lookAlike(req.Input)
	piped := strings.Contains(req.Input, "|")
	for _, p := range req.Parts {
		lookalike = lookalike || lookAlike(p.Text)
		for _, f := range p.Facets {
			lookalike = lookalike || !ascii(f.Host) || !ascii(urlHost(f.URL))
			switch f.Kind {
			case action.ShellOpaque:
				obfuscated = true
			case action.NetworkConnect, action.HTTPRequest, action.NetworkTunnel, action.ShellRemote:
				if piped && sendsInput(f.Program, p.Text+" "+f.Command) {
					external = true
				}
			case action.FileRead:
				credential = credential || credentialPath(f.Path)
			case action.FileDelete:
				destructive = destructive || broadPath(f.Path, req.Cwd, home)
			case action.FileWrite:
				persistent = persistent || startupPath(f.Path, home)
			case action.ShellExecute:
				if f.Program == "shred" {
					destructive = true
				}
				persistent = persistent || persistsCommand(f)
			}
			credential = credential || (f.Kind != action.FileRead && credentialPath(f.Path))
		}
		for _, v := range p.Views {
			if v.Program == "shred" {
				destructive = true
			}
		}
	}
	var tags []string
	for _, t := range []struct {
		on   bool
		name string
	}{
		{obfuscated, "obfuscated execution"},
		{external, "pipe to external"},
		{credential, "credential-adjacent"},
		{destructive, "broad destructive"},
		{persistent, "persistence"},
		{lookalike, "look-alike characters"},
	} {
		if t.on {
			tags = append(tags, t.name)
		}
	}
	return tags
}

// Risk is [RiskTags] of the request r binds, against the user's home.
func (r *Record) Risk() []string { return RiskTags(r.Request, userHome()) }

// Risk is [RiskTags] of the request ev is about, when it carries it.
func (ev Event) Risk() []string { return RiskTags(ev.Request, userHome()) }

// lookAlike reports text with letters that read as Latin ones but are
// not: a word mixing Latin letters with Cyrillic, Greek, Armenian or
// Cherokee ones (r\u0430w.githubusercontent.com, requ\u0435sts), or
// fullwidth and mathematical letters and digits anywhere. A person reads
// such a word as the name it imitates; the command goes to another. Text
// wholly in another script (a commit message in Russian) is not flagged.
func lookAlike(s string) bool {
	if ascii(s) {
		return false
	}
	latin, other := false, false
	for _, r := range s {
		switch {
		case r >= 0xff10 && r <= 0xff19, r >= 0xff21 && r <= 0xff3a, r >= 0xff41 && r <= 0xff5a, r >= 0x1d400 && r <= 0x1d7ff:
			return true
		case r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'):
			latin = true
		case unicode.In(r, unicode.Cyrillic, unicode.Greek, unicode.Armenian, unicode.Cherokee):
			other = true
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r):
			// Other letters continue the word.
			continue
		default:
			// A word ends.
			latin, other = false, false
			continue
		}
		if latin && other {
			return true
		}
	}
	return false
}

// ascii reports whether s is plain ASCII.
func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// urlHost returns the host part of an absolute URL, or "".
func urlHost(u string) string {
	_, rest, ok := strings.Cut(u, "://")
	if !ok {
		return ""
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	if i := strings.LastIndexByte(rest, '@'); i >= 0 {
		rest = rest[i+1:]
	}
	return rest
}

// sendsInput reports whether a network facet's command sends what it reads
// on standard input: netcat and friends always do; curl and wget with
// @- or - as the data or upload.
func sendsInput(program, command string) bool {
	switch program {
	case "nc", "ncat", "netcat", "nc.openbsd", "nc.traditional", "socat", "telnet", "openssl":
		return true
	}
	c := " " + command + " "
	return strings.Contains(c, "@-") || strings.Contains(c, " -T - ") || strings.Contains(c, "--upload-file - ") ||
		strings.Contains(c, "--post-file=-") || strings.Contains(c, "--body-file=-")
}

// credentialPath reports paths that hold secrets.
func credentialPath(p string) bool {
	if p == "" {
		return false
	}
	base := path.Base(p)
	switch base {
	case ".env", ".netrc", ".pgpass", ".git-credentials", "credentials", "id_rsa", "id_ed25519", "id_ecdsa", "id_dsa":
		return true
	}
	for _, d := range []string{"/.ssh/", "/.aws/", "/.gnupg/", "/.kube/config", "/.docker/config.json", "/.config/gcloud/", "/.azure/", "/.config/gh/hosts.yml"} {
		if strings.Contains(p+"/", d) {
			return true
		}
	}
	return strings.HasPrefix(base, ".env.")
}

// systemDirs are trees whose deletion is never a project's cleanup.
var systemDirs = []string{"/etc", "/var", "/usr", "/boot", "/bin", "/sbin", "/lib", "/lib64", "/opt", "/srv", "/root", "/home", "/System", "/Library", "/Users"}

// broadPath reports a deletion of the root, the home, a directory above
// the working directory, or anything in a system tree.
func broadPath(p, cwd, home string) bool {
	if p == "" {
		return false
	}
	p = path.Clean(p)
	if p == "/" || p == home {
		return true
	}
	if cwd != "" && (cwd == p || strings.HasPrefix(cwd, p+"/")) {
		return true
	}
	if home != "" && strings.HasPrefix(p, home+"/") {
		return false // the user's own files (credentials aside: see credentialPath)
	}
	for _, d := range systemDirs {
		if p == d || strings.HasPrefix(p, d+"/") {
			return true
		}
	}
	return false
}

// startupPath reports files that run something at login, at boot or on a
// schedule.
func startupPath(p, home string) bool {
	if p == "" {
		return false
	}
	switch path.Base(p) {
	case ".bashrc", ".bash_profile", ".bash_login", ".profile", ".zshrc", ".zprofile", ".zshenv", ".zlogin", "authorized_keys", "rc.local":
		return true
	}
	for _, d := range []string{"/etc/cron", "/var/spool/cron/", "/etc/systemd/", "/etc/init.d/", "/etc/profile.d/", "/Library/LaunchAgents/", "/Library/LaunchDaemons/"} {
		if strings.Contains(p, d) {
			return true
		}
	}
	if home != "" {
		for _, d := range []string{"/.config/systemd/user/", "/.config/autostart/", "/.config/fish/config.fish"} {
			if strings.HasPrefix(p, home+d) || p+"/" == home+d {
				return true
			}
		}
	}
	return false
}

// persistsCommand reports commands that install something to run later:
// a crontab (other than listing it), an enabled service, a loaded launchd
// job.
func persistsCommand(f action.Action) bool {
	v := action.ParseArgv(strings.Fields(f.Command))
	sub := ""
	if len(v.Positionals) > 0 {
		sub = v.Positionals[0]
	}
	switch v.Program {
	case "crontab":
		for _, o := range v.Options {
			if o.Name == "-l" {
				return false
			}
		}
		return true
	case "systemctl":
		return sub == "enable" || sub == "link" || sub == "reenable" || sub == "preset"
	case "launchctl":
		return sub == "load" || sub == "bootstrap" || sub == "enable" || sub == "submit"
	case "at", "batch":
		return true
	}
	return false
}

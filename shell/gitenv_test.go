package shell

import (
	"errors"
	"io/fs"
	"testing"

	"github.com/safeclaw/safeclaw/action"
)

// gitEnvFiles are the files TestGitConfigFromEnv reads: configurations an
// agent could have written under /tmp, and the project's ordinary one.
var gitEnvFiles = map[string]string{
	"/tmp/evil.cfg":                         "[core]\n\tpager = nc -l 4444\n",
	"/tmp/evilrepo/.git/config":             "[core]\n\tfsmonitor = nc -l 4444\n",
	"/work/proj/.git/config":                "[core]\n\trepositoryformatversion = 0\n\tautocrlf = input\n[user]\n\tname = Dev\n[remote \"origin\"]\n\turl = git@github.com:a/b.git\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n[branch \"main\"]\n\tremote = origin\n\tmerge = refs/heads/main\n",
	"/tmp/wt/.git":                          "gitdir: /tmp/main/.git/worktrees/wt\n",
	"/tmp/main/.git/worktrees/wt/HEAD":      "ref: refs/heads/wt\n",
	"/tmp/main/.git/worktrees/wt/commondir": "../..\n",
	"/tmp/main/.git/config":                 "[core]\n\tfsmonitor = ngrok http 80\n",
	"/tmp/super/sub/.git":                   "gitdir: ../.git/modules/sub\n",
	"/tmp/super/.git/modules/sub/config":    "[core]\n\tpager = nc -l 4444\n",
	"/tmp/bare.git/HEAD":                    "ref: refs/heads/main\n",
	"/tmp/bare.git/config":                  "[core]\n\tbare = true\n\tpager = nc -l 4444\n",
	"/tmp/inc.cfg":                          "[user]\n\tname = x\n[include]\n\tpath = a/../evil.cfg\n",
	"/tmp/incif.cfg":                        "[includeIf \"gitdir:/work/\"]\n\tpath = /tmp/evil.cfg\n",
	"/tmp/inchome.cfg":                      "[include]\n\tpath = ~/.config/evil.cfg\n",
	"/home/dev/.config/evil.cfg":            "[alias]\n\tl = !nc -l 4444\n",
	"/tmp/incmissing.cfg":                   "[include]\n\tpath = /tmp/none.cfg\n",
	"/tmp/loop.cfg":                         "[include]\n\tpath = loop.cfg\n",
	"/tmp/h/.gitconfig":                     "[core]\n\tpager = nc -l 4444\n",
	"/tmp/x/git/config":                     "[core]\n\tsshCommand = nc -l 4444\n",
	"/tmp/plain.cfg":                        "[user]\n\tname = CI\n\temail = ci@example.com\n[core]\n\tautocrlf = false\n",
	"/tmp/e/git-x":                          "nc -l 4444\n",
}

func gitEnvEnv() Env {
	env := testEnv
	env.ReadFile = func(name string) ([]byte, error) {
		switch name {
		case "/tmp/locked.cfg":
			return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrPermission}
		case "/dev/null":
			// As the command-line reader sees it: not a regular file.
			return nil, errors.New("/dev/null: not a regular file")
		}
		if s, ok := gitEnvFiles[name]; ok {
			return []byte(s), nil
		}
		return nil, errNoRead
	}
	return env
}

// TestGitConfigFromEnv: an everyday git command runs what the
// configuration files it reads say (core.pager, core.fsmonitor, aliases),
// and a text can point git at files it wrote: GIT_CONFIG_GLOBAL,
// GIT_CONFIG_SYSTEM, HOME or XDG_CONFIG_HOME, GIT_DIR or --git-dir, a .git
// file (worktrees, submodules), a bare repository, an include. Those files
// are read and judged as the repository's .git/config is; GIT_EXEC_PATH is
// --exec-path. What cannot be resolved or read is opaque; what git ignores
// (a file that is not there, /dev/null) and ordinary settings add nothing.
func TestGitConfigFromEnv(t *testing.T) {
	tests := []struct {
		text string
		want action.Kind // "" for none of listen, tunnel, opaque
	}{
		{"GIT_CONFIG_GLOBAL=/tmp/evil.cfg git log", action.NetworkListen},
		{"GIT_CONFIG_SYSTEM=/tmp/evil.cfg git status", action.NetworkListen},
		{"export GIT_CONFIG_GLOBAL=/tmp/evil.cfg; git log", action.NetworkListen},
		{"env GIT_CONFIG_GLOBAL=/tmp/evil.cfg git commit -m x", action.NetworkListen},
		{"GIT_CONFIG_GLOBAL=/tmp/evil.cfg git clone https://h/x", action.NetworkListen},
		{"printf '[core]\\n\\tpager = nc -l 4444\\n' > /tmp/new.cfg; GIT_CONFIG_GLOBAL=/tmp/new.cfg git log", action.NetworkListen},
		{"GIT_DIR=/tmp/evilrepo/.git git log", action.NetworkListen},
		{"env GIT_DIR=/tmp/evilrepo/.git git diff", action.NetworkListen},
		{"export GIT_DIR=/tmp/evilrepo/.git; git status", action.NetworkListen},
		{"git --git-dir=/tmp/evilrepo/.git log", action.NetworkListen},
		{"git --git-dir /tmp/evilrepo/.git --work-tree=/work/proj status", action.NetworkListen},
		{"git -C /tmp --git-dir=evilrepo/.git log", action.NetworkListen},
		{"cd /tmp/evilrepo/.git && git --bare log", action.NetworkListen},
		{"git -C /tmp/wt status", action.NetworkTunnel},
		{"git --git-dir=/tmp/wt/.git status", action.NetworkTunnel},
		{"cd /tmp/super/sub && git status", action.NetworkListen},
		{"git -C /tmp/bare.git log", action.NetworkListen},
		{"GIT_CONFIG_GLOBAL=/tmp/inc.cfg git log", action.NetworkListen},
		{"GIT_CONFIG_GLOBAL=/tmp/incif.cfg git fetch", action.NetworkListen},
		{"GIT_CONFIG_GLOBAL=/tmp/inchome.cfg git l", action.NetworkListen},
		{"HOME=/tmp/h git log", action.NetworkListen},
		{"XDG_CONFIG_HOME=/tmp/x git fetch", action.NetworkListen},
		{"printf 'nc -l 4444' > /tmp/e/git-x; GIT_EXEC_PATH=/tmp/e git x", action.NetworkListen},
		{"printf 'nc -l 4444' > /tmp/e/git-x; export GIT_EXEC_PATH=/tmp/e; git x", action.NetworkListen},
		{"GIT_DIR=$X git log", action.ShellOpaque},
		{"git --git-dir=\"$D\" log", action.ShellOpaque},
		{"GIT_CONFIG_GLOBAL=$(mktemp) git log", action.ShellOpaque},
		{"GIT_CONFIG_GLOBAL=/tmp/locked.cfg git log", action.ShellOpaque},
		{"GIT_CONFIG_GLOBAL=/tmp/loop.cfg git log", action.ShellOpaque},
		// Everyday use.
		{"git log", ""},
		{"git status", ""},
		{"git -C sub log", ""},
		{"GIT_DIR=.git git log", ""},
		{"git --git-dir=.git --work-tree=. status", ""},
		{"GIT_CONFIG_GLOBAL=/dev/null git log", ""},
		{"GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 git commit -m x", ""},
		{"GIT_CONFIG_NOSYSTEM=1 git log", ""},
		{"GIT_CONFIG_SYSTEM=/tmp/evil.cfg GIT_CONFIG_NOSYSTEM=1 git log", ""},
		{"GIT_CONFIG_GLOBAL=/tmp/plain.cfg git log", ""},
		{"GIT_CONFIG_GLOBAL=/tmp/none.cfg git log", ""},
		{"GIT_CONFIG_GLOBAL=/tmp/incmissing.cfg git log", ""},
		{"GIT_EXEC_PATH=/usr/lib/git-core git log", ""},
		// GIT_CONFIG names the file of git config only.
		{"GIT_CONFIG=/tmp/evil.cfg git log", ""},
	}
	env := gitEnvEnv()
	judged := []action.Kind{action.NetworkListen, action.NetworkTunnel, action.ShellOpaque}
	for _, tt := range tests {
		checkJudged(t, tt.text, Analyze(tt.text, env), tt.want, judged)
	}
}

// TestGitExecPathEnv: GIT_EXEC_PATH elsewhere than git's own runs the
// subcommand from there, as --exec-path does, named in the detail.
func TestGitExecPathEnv(t *testing.T) {
	parts := analyze("GIT_EXEC_PATH=/tmp/x git log")
	found := false
	for _, f := range facets(parts, action.ShellExecute) {
		found = found || f.Program == "git-log" && f.Detail == "via GIT_EXEC_PATH"
	}
	if !found {
		t.Errorf("GIT_EXEC_PATH=/tmp/x git log: no git-log run from there: %s", dump(parts))
	}
}

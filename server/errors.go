package server

import (
	"fmt"
	"net/http"
)

// apiError is an error with a public half, sent to the client, and an
// internal half, logged only (style.md C7).
type apiError struct {
	status   int
	public   string
	internal error  // nil when the public message says it all
	reason   string // short label for metrics (token, host, origin, ...)
}

func (e *apiError) Error() string {
	if e.internal != nil {
		return e.public + ": " + e.internal.Error()
	}
	return e.public
}

func badRequest(format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, public: fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) *apiError {
	return &apiError{status: http.StatusNotFound, public: fmt.Sprintf(format, args...)}
}

func refuse(status int, reason, format string, args ...any) *apiError {
	return &apiError{status: status, public: fmt.Sprintf(format, args...), reason: reason}
}

// internalError hides err behind a public message.
func internalError(public string, err error) *apiError {
	return &apiError{status: http.StatusInternalServerError, public: public, internal: err}
}

// errorBody is what clients see of an error.
type errorBody struct {
	Status  int          `json:"status"`
	Message string       `json:"message"`
	Result  *errorResult `json:"result"`
}

type errorResult struct {
	Decision string `json:"decision"`
	Reason   string `json:"reason"`
}

// fail writes e's public half and logs the rest.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, e *apiError) {
	if e.internal != nil || e.status >= 500 {
		h.c.Logf("safeclaw: serve: %s %s: %v", r.Method, r.URL.Path, e)
	}
	h.metrics.httpError(e.status)
	// Every error body says deny, on every route, so that a client that
	// only reads the decision denies whatever went wrong.
	body := errorBody{Status: e.status, Message: e.public,
		Result: &errorResult{Decision: "deny", Reason: "safeclaw: " + e.public}}
	if e.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="safeclaw"`)
	}
	writeJSON(w, e.status, body)
}

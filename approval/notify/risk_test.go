package notify

import (
	"strings"
	"testing"
	"time"

	"github.com/safeclaw/safeclaw/action"
	"github.com/safeclaw/safeclaw/approval"
)

// TestChatShowsRiskTags: a request's advisory risk tags reach chat
// messages beside its rule.
func TestChatShowsRiskTags(t *testing.T) {
	req := &action.Request{Input: "rm -rf /var/log", Cwd: "/home/dev/project", Parts: []action.Part{{Text: "rm -rf /var/log",
		Facets: []action.Action{{Kind: action.FileDelete, Path: "/var/log", Recursive: true}}}}}
	ev := approval.Event{Type: approval.EventRequested, Time: time.Now(), ID: "k7f3q2xm9a", Agent: "claude",
		Input: req.Input, Request: req}
	for name, body := range map[string]func(approval.Event) ([]byte, error){"slack": slackBody, "discord": discordBody} {
		b, err := body(ev)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), "broad destructive (advisory)") {
			t.Errorf("%s: %s", name, b)
		}
	}
}

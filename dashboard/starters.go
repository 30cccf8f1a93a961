package dashboard

import (
	"embed"
	"fmt"
	"net/http"

	"github.com/safeclaw/safeclaw/policy"
)

//go:embed starters/*.yaml
var starterFS embed.FS

// Starter is a policy offered on the setup page as a starting point.
type Starter struct {
	Name  string `json:"name"`
	Title string `json:"title"`
	About string `json:"about"`
	Text  string `json:"text"`
}

// Starters returns the starter policies, in the order the setup page offers
// them: safeclaw's built-in default, the product brief's port guard (its
// examples/brief files joined, Step 6 first) and a strict one.
func Starters() ([]Starter, error) {
	out := []Starter{{Name: "default", Title: "Built-in default",
		About: "safeclaw's own policy: the port guard, secrets, the everyday commands of a coding agent allowed, everything else asks or is denied.",
		Text:  string(policy.Default())}}
	for _, s := range []Starter{
		{Name: "portguard", Title: "Port guard (the brief)",
			About: "Exactly the brief's rules: dev servers with approval, no other servers, listeners, reverse shells or tunnels. Everything the rules do not name is denied."},
		{Name: "strict", Title: "Strict",
			About: "Reading the project is allowed; every other command asks a person; no listeners and no network from the shell."},
	} {
		data, err := starterFS.ReadFile("starters/" + s.Name + ".yaml")
		if err != nil {
			return nil, fmt.Errorf("starter %s: %v", s.Name, err)
		}
		s.Text = string(data)
		out = append(out, s)
	}
	return out, nil
}

func (s *Server) listStarters(w http.ResponseWriter, r *http.Request) {
	st, err := Starters()
	if err != nil {
		s.internal(w, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// useStarter makes a starter the user policy through the same checks and
// version history as a save from the editor.
func (s *Server) useStarter(w http.ResponseWriter, r *http.Request) {
	if s.c.PolicyPath == "" || s.c.VersionDir == "" {
		unavailable(w, "saving the policy")
		return
	}
	var b struct {
		Name string `json:"name"`
	}
	if !readJSON(w, r, &b) {
		return
	}
	st, err := Starters()
	if err != nil {
		s.internal(w, err)
		return
	}
	for _, one := range st {
		if one.Name != b.Name {
			continue
		}
		if _, ok := s.compile(w, one.Text); !ok {
			return
		}
		v, err := s.save([]byte(one.Text), "starter "+one.Name)
		if err != nil {
			s.internal(w, err)
			return
		}
		writeJSON(w, http.StatusOK, v)
		return
	}
	writeError(w, http.StatusNotFound, "no such starter policy")
}

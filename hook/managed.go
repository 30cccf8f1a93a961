package hook

import (
	"encoding/json"

	"github.com/safeclaw/safeclaw/internal/jsonobj"
)

// RequireManagedHooks returns Claude Code managed settings (data) with
// "allowManagedHooksOnly": true: Claude Code then runs the managed
// settings' hooks only, so no user or project settings (a cloned
// repository's among them) can add hooks of their own, which run outside
// safeclaw's checks. changed is false when it was set already. An
// administrator's own "allowManagedHooksOnly": false is never overridden
// (adminOff): uninstalling could not tell it from safeclaw's.
func RequireManagedHooks(data []byte) (out []byte, changed, adminOff bool, err error) {
	root, err := jsonobj.Parse(data)
	if err != nil {
		return nil, false, false, err
	}
	if raw, ok := root.Get("allowManagedHooksOnly"); ok {
		if sameJSON(raw, []byte("true")) {
			return data, false, false, nil
		}
		if sameJSON(raw, []byte("false")) {
			return data, false, true, nil
		}
	}
	root.Set("allowManagedHooksOnly", json.RawMessage("true"))
	if out, err = root.MarshalIndent(); err != nil {
		return nil, false, false, err
	}
	return out, true, false, nil
}

// ReleaseManagedHooks returns data without "allowManagedHooksOnly": true,
// for an uninstall when safeclaw's install set it (the caller knows; see
// RequireManagedHooks). changed is false when it is not set to true.
func ReleaseManagedHooks(data []byte) (out []byte, changed bool, err error) {
	root, err := jsonobj.Parse(data)
	if err != nil {
		return nil, false, err
	}
	raw, ok := root.Get("allowManagedHooksOnly")
	if !ok || !sameJSON(raw, []byte("true")) {
		return data, false, nil
	}
	root.Del("allowManagedHooksOnly")
	if out, err = root.MarshalIndent(); err != nil {
		return nil, false, err
	}
	return out, true, nil
}

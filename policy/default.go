package policy

import (
	_ "embed"
)

//go:embed default.yaml
var defaultPolicy []byte

//go:embed schema.json
var schemaJSON []byte

// DefaultName is the name the built-in default policy is parsed under; rule
// sources read "builtin:default.yaml:LINE".
const DefaultName = "builtin:default.yaml"

// Default returns the built-in default policy (YAML, commented for editing;
// `safeclaw init` writes it out). Parse it with [DefaultName].
func Default() []byte { return append([]byte(nil), defaultPolicy...) }

// Schema returns the JSON Schema (draft 2020-12) of the policy file format.
func Schema() []byte { return append([]byte(nil), schemaJSON...) }

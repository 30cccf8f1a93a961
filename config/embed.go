package config

import _ "embed"

//go:embed default.yaml
var defaultYAML []byte

// DefaultYAML returns a commented config.yaml with every setting at its
// default, for `safeclaw init`.
func DefaultYAML() []byte { return append([]byte(nil), defaultYAML...) }

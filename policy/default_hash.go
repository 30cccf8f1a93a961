package policy

// defaultHash is the Hash of the built-in default compiled alone. It does
// not depend on Options. TestDefaultHash fails, giving the new value, when
// default.yaml or the canonical form changes.
const defaultHash = "sha256:15dc85825257943a740ab89cd192563862002c985240fed5107d3e32e52d90de"

package policy

// defaultHash is the Hash of the built-in default compiled alone. It does
// not depend on Options. TestDefaultHash fails, giving the new value, when
// default.yaml or the canonical form changes.
const defaultHash = "sha256:a5ec6b9cdcac9aaa8fcbb947d4d0929724936de680fa068e5ff166cd6e04f576"

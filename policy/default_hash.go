package policy

// defaultHash is the Hash of the built-in default compiled alone. It does
// not depend on Options. TestDefaultHash fails, giving the new value, when
// default.yaml or the canonical form changes.
const defaultHash = "sha256:da387227284ae7b13cc160bd0518750fe9cb3c6b84411e7e024d685fc45b7ac6"

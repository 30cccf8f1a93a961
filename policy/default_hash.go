package policy

// defaultHash is the Hash of the built-in default compiled alone. It does
// not depend on Options. TestDefaultHash fails, giving the new value, when
// default.yaml or the canonical form changes.
const defaultHash = "sha256:423dd5ac45db713d6808e446e843c68c5fcc0c475da47211140ae215fc4f1d2b"

package policy

// defaultHash is the Hash of the built-in default compiled alone. It does
// not depend on Options. TestDefaultHash fails, giving the new value, when
// default.yaml or the canonical form changes.
const defaultHash = "sha256:14f816cd7b7442415356a4e79d8f9b2e210814794040d95db06010700fc1aff0"

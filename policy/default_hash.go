package policy

// defaultHash is the Hash of the built-in default compiled alone. It does
// not depend on Options. TestDefaultHash fails, giving the new value, when
// default.yaml or the canonical form changes.
const defaultHash = "sha256:0af0cd8199ef323909b226ad24963c0cbd579c37c6796ff0a5a367f756037c0f"

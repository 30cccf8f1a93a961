package policy

// defaultHash is the Hash of the built-in default compiled alone. It does
// not depend on Options. TestDefaultHash fails, giving the new value, when
// default.yaml or the canonical form changes.
const defaultHash = "sha256:9a03a936e942e145f3e8c1e21aa9ed54d7b15617d9915608ace70c07221e9384"

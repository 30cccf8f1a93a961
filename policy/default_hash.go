package policy

// defaultHash is the Hash of the built-in default compiled alone. It does
// not depend on Options. TestDefaultHash fails, giving the new value, when
// default.yaml or the canonical form changes.
const defaultHash = "sha256:b14a2cd7532b02e52efc06f36842241edc78d42d1ec2bb36d5f272d5d1d45684"

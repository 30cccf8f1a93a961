//go:build !unix

package cli

// lockSettingsDir is a no-op off Unix: the edit's own check that the file
// did not change meanwhile still stands.
func lockSettingsDir(string) (func(), error) { return func() {}, nil }

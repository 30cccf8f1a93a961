//go:build !unix

package approval

import "errors"

// CheckPrivateFile cannot check file ownership on this system, so it
// refuses every file.
func CheckPrivateFile(path string) error {
	return errors.New("checking that a file is private is not supported on this system")
}

// checkStoreFiles cannot check file modes on this system; the store is
// created private where the system allows it.
func checkStoreFiles(string) error { return nil }

//go:build !unix

package approval

import "errors"

// CheckPrivateFile cannot check file ownership on this system, so it
// refuses every file.
func CheckPrivateFile(path string) error {
	return errors.New("checking that a file is private is not supported on this system")
}

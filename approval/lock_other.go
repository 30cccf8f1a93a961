//go:build !unix

package approval

import "errors"

// lockFile is unavailable off Unix; "always" approvals need it to append
// safely, so they fail there.
func lockFile(string) (func(), error) {
	return nil, errors.New("file locking is not supported on this system")
}

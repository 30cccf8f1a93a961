//go:build !unix

package config

import (
	"fmt"
	"os"
)

// openNoWait opens path for reading after checking that it is a regular
// file (here the check comes before the open).
func openNoWait(path string) (*os.File, error) {
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() {
		return nil, &os.PathError{Op: "open", Path: path, Err: fmt.Errorf("it is %s, not a regular file", kindOf(fi.Mode()))}
	}
	return os.Open(path)
}

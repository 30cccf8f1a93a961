//go:build unix

package config

import (
	"os"
	"syscall"
)

// openNoWait opens path for reading without waiting for a FIFO's writer;
// the caller checks what it opened.
func openNoWait(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	return f, nil
}

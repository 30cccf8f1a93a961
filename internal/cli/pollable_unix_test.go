//go:build unix

package cli

import (
	"io"
	"os"
	"syscall"
	"testing"
	"time"
)

// pipeStdin stands for os.Stdin, which pollable's result shares its
// descriptor with: like os.Stdin it stays reachable, so that its finalizer
// never closes the descriptor number again after the test.
var pipeStdin *os.File

// A pipe is read through the poller, so closing it ends a read in progress;
// a regular file is returned as it is.
func TestPollable(t *testing.T) {
	// A blocking pipe, as an inherited stdin is.
	var fds [2]int
	if err := syscall.Pipe(fds[:]); err != nil {
		t.Fatal(err)
	}
	w := os.NewFile(uintptr(fds[1]), "pipe")
	defer w.Close()
	pipeStdin = os.NewFile(uintptr(fds[0]), "stdin")
	p := pollable(pipeStdin)
	if p == pipeStdin {
		t.Fatal("a pipe was not switched to the poller")
	}
	done := make(chan error, 1)
	go func() {
		_, err := p.Read(make([]byte, 1))
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	p.Close()
	select {
	case err := <-done:
		if err == nil || err == io.EOF {
			t.Fatalf("read after close: %v, want a closed-file error", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("closing the file did not end the read")
	}

	f, err := os.CreateTemp(t.TempDir(), "f")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if pollable(f) != f {
		t.Error("a regular file was changed")
	}
}

package ptytest

import (
	"testing"
)

func TestPair(t *testing.T) {
	m, s := Pair(t)
	if _, err := s.Write([]byte("y\n")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16)
	n, err := m.Read(buf)
	if err != nil || n == 0 {
		t.Fatalf("master read %d, %v", n, err)
	}
}

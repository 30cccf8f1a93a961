//go:build !unix

package audit

import (
	"errors"
	"io"
	"os"
	"time"
)

// fileID is unknown here: kept handles are reopened on every append.
type fileID struct{}

func (fileID) known() bool { return false }

func statID(name string) (fileID, int64, error) {
	fi, err := os.Stat(name)
	if err != nil {
		return fileID{}, 0, err
	}
	return fileID{}, fi.Size(), nil
}

func fstatID(*os.File) (fileID, error) { return fileID{}, nil }

// dirStamp is unknown here: the directory is listed on every append.
type dirStamp struct{}

func (dirStamp) time() time.Time { return time.Time{} }

func (dirStamp) coarse() bool { return true }

func statStamp(name string) (fileID, dirStamp, error) {
	_, err := os.Stat(name)
	return fileID{}, dirStamp{}, err
}

func preadOnce(f *os.File, b []byte, off int64) (int, error) {
	n, err := f.ReadAt(b, off)
	if errors.Is(err, io.EOF) {
		err = nil
	}
	return n, err
}

func fileSize(f *os.File) (int64, error) {
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

func infoID(os.FileInfo) fileID { return fileID{} }

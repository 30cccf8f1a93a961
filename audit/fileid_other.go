//go:build !unix

package audit

import "os"

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

func infoID(os.FileInfo) fileID { return fileID{} }

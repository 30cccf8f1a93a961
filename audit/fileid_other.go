//go:build !unix

package audit

import "os"

// fileID is unknown here: kept handles are reopened on every append.
type fileID struct{}

func (fileID) known() bool { return false }

func statID(name string) (fileID, error) {
	_, err := os.Stat(name)
	return fileID{}, err
}

func fstatID(*os.File) (fileID, error) { return fileID{}, nil }

func infoID(os.FileInfo) fileID { return fileID{} }

package audit

import "os"

// syncDir makes a directory's entries (new or removed files) durable. Errors
// are ignored: some systems cannot sync a directory.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	d.Sync()
	d.Close()
}

package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// MaxFileBytes bounds config.yaml: a settings file is a few hundred bytes.
const MaxFileBytes = 1 << 20

// Load reads and strictly parses the config file at path. A path that does
// not exist means every default. Anything else that cannot be read as a
// small regular file is an error naming the path, so that a caller fails
// closed instead of running with settings nobody wrote:
//   - a symbolic link is followed (dotfile managers link config files), but
//     one that leads nowhere is an error, not "no config";
//   - a FIFO, socket, device or directory is refused without blocking: a FIFO
//     put in its place must not hold every hook until the agent gives up;
//   - a file that cannot be opened (permissions) or is larger than
//     [MaxFileBytes] is refused.
func Load(path string) (*Config, error) {
	lfi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Parse(path, nil)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: cannot read the config: %w", path, unwrap(err))
	}
	f, err := openNoWait(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) && lfi.Mode()&fs.ModeSymlink != 0 {
			target, _ := os.Readlink(path)
			return nil, fmt.Errorf("%s: cannot read the config: it is a symbolic link to %q, which does not exist (remove the link to use the defaults)", path, target)
		}
		return nil, fmt.Errorf("%s: cannot read the config: %w", path, unwrap(err))
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("%s: cannot read the config: %w", path, unwrap(err))
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: cannot read the config: it is %s, not a regular file", path, kindOf(fi.Mode()))
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: cannot read the config: %w", path, unwrap(err))
	}
	if len(data) > MaxFileBytes {
		return nil, fmt.Errorf("%s: cannot read the config: it is larger than %d bytes", path, MaxFileBytes)
	}
	return Parse(path, data)
}

// unwrap drops the *PathError's own copy of the path, which the messages
// above already start with.
func unwrap(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func kindOf(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0, m&fs.ModeCharDevice != 0:
		return "a device"
	default:
		return "a special file"
	}
}

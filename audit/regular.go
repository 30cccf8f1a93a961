package audit

import (
	"errors"
	"io/fs"
)

// errNotRegular is wrapped by the error of opening a trail file (segment or
// head) that is not a regular file: a symbolic link, a FIFO, a directory, a
// device. safeclaw writes only regular files there, so it is tampering;
// appends refuse it (and so deny) and verify reports it.
var errNotRegular = errors.New("not a regular file")

// notRegular is errNotRegular saying what the file is instead.
type notRegular string

func (e notRegular) Error() string {
	if string(e) == errNotRegular.Error() {
		return string(e)
	}
	return string(e) + ", " + errNotRegular.Error() + " (safeclaw writes only regular files here)"
}

func (e notRegular) Is(target error) bool { return target == errNotRegular }

// modeKindOf says what a file that is not a regular file is.
func modeKindOf(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "not a regular file"
}

// oddKind says what the file of an errNotRegular error is ("a FIFO").
func oddKind(err error) string {
	var nr notRegular
	if errors.As(err, &nr) && string(nr) != errNotRegular.Error() {
		return string(nr)
	}
	return errNotRegular.Error()
}

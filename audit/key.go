package audit

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// Key is the audit key: 32 random bytes that seal records and the head with
// HMAC-SHA256 and key the hashes of redacted inputs. Whoever holds it can
// forge the trail; keep it where agents cannot read it (see docs/audit.md).
type Key [32]byte

// ErrNoKey is returned when the audit key file does not exist.
var ErrNoKey = errors.New("audit key not found")

// Domain-separation prefixes of the three HMAC inputs, so that no MAC of one
// kind can stand in for another (a record seal must not pass as a head seal).
const (
	macRecord = "safeclaw audit v1 record\x00"
	macHead   = "safeclaw audit v1 head\x00"
	macInput  = "safeclaw audit v1 input\x00"
)

// LoadKey reads the key file at path: 64 hexadecimal digits and an optional
// newline. It refuses a file that group or others can access.
func LoadKey(path string) (Key, error) {
	var k Key
	// A regular file (a FIFO in its place must not hold every decision
	// until its deadline); a symbolic link to one is followed.
	f, err := openRegular(path, os.O_RDONLY, 0, true)
	if errors.Is(err, fs.ErrNotExist) {
		return k, fmt.Errorf("%w: %s", ErrNoKey, path)
	}
	if err != nil {
		return k, fmt.Errorf("read audit key: %w", err)
	}
	defer f.Close()
	// The key is 65 bytes; anything much longer is not a key.
	data, err := io.ReadAll(io.LimitReader(f, 4<<10))
	if err != nil {
		return k, fmt.Errorf("read audit key: %w", err)
	}
	if runtime.GOOS != "windows" {
		fi, err := f.Stat()
		if err != nil {
			return k, fmt.Errorf("read audit key: %w", err)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			return k, fmt.Errorf("audit key %s is accessible to other users (mode %#o): chmod 600 it", path, fi.Mode().Perm())
		}
	}
	text := strings.TrimSuffix(string(data), "\n")
	if len(text) != 2*len(k) {
		return k, fmt.Errorf("audit key %s: want %d hex digits, have %d bytes", path, 2*len(k), len(text))
	}
	if _, err := hex.Decode(k[:], []byte(text)); err != nil {
		return k, fmt.Errorf("audit key %s: %w", path, err)
	}
	return k, nil
}

// LoadOrCreateTrailKey is [LoadOrCreateKey] for the file trail in dir: it
// creates a key only while that trail holds nothing. A key missing beside
// a trail is an error, not replaced (a new key would make every record
// look forged, and the lost one could not be told from a forgery).
func LoadOrCreateTrailKey(path, dir string) (Key, error) {
	k, err := LoadKey(path)
	if !errors.Is(err, ErrNoKey) {
		return k, err
	}
	used, uerr := trailUsed(dir)
	if uerr != nil {
		return k, uerr
	}
	if used {
		return k, fmt.Errorf("%w, but %s holds a trail sealed with it: restore the key, or move the trail aside as evidence (a new key would make every record look forged)", err, dir)
	}
	return LoadOrCreateKey(path)
}

// LoadOrCreateKey reads the key file at path, creating it (mode 0600, its
// directory 0700) with a new random key when it does not exist. Concurrent
// first uses agree on one key: the file appears with its content in one step.
func LoadOrCreateKey(path string) (Key, error) {
	k, err := LoadKey(path)
	if !errors.Is(err, ErrNoKey) {
		return k, err
	}
	if _, err := rand.Read(k[:]); err != nil {
		return k, fmt.Errorf("create audit key: %w", err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return k, fmt.Errorf("create audit key: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".audit-key-*")
	if err != nil {
		return k, fmt.Errorf("create audit key: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return k, fmt.Errorf("create audit key: %w", err)
	}
	if _, err := tmp.WriteString(hex.EncodeToString(k[:]) + "\n"); err != nil {
		tmp.Close()
		return k, fmt.Errorf("create audit key: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return k, fmt.Errorf("create audit key: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return k, fmt.Errorf("create audit key: %w", err)
	}
	// Link fails when another process won the race; then its key is the key.
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, fs.ErrExist) {
		return k, fmt.Errorf("create audit key: %w", err)
	}
	syncDir(dir)
	return LoadKey(path)
}

// sealer computes the HMACs of one key, reusing its state.
type sealer struct {
	mac hash.Hash
	buf []byte
	sum []byte
}

func newSealer(k *Key) *sealer {
	return &sealer{mac: hmac.New(sha256.New, k[:])}
}

// record returns the seal of record seq with hash h (raw 32 bytes):
// HMAC-SHA256(key, "safeclaw audit v1 record\x00" || uint64be(seq) || h).
func (s *sealer) record(seq uint64, h []byte) []byte {
	s.buf = append(s.buf[:0], macRecord...)
	s.buf = binary.BigEndian.AppendUint64(s.buf, seq)
	s.buf = append(s.buf, h...)
	s.mac.Reset()
	s.mac.Write(s.buf)
	s.sum = s.mac.Sum(s.sum[:0])
	return s.sum
}

// head returns the seal of a head: HMAC-SHA256(key, "safeclaw audit v1
// head\x00" || uint64be(seq) || hash || uint64be(size) || segment name).
func (s *sealer) head(seq uint64, h []byte, segment string, size int64) []byte {
	s.buf = append(s.buf[:0], macHead...)
	s.buf = binary.BigEndian.AppendUint64(s.buf, seq)
	s.buf = append(s.buf, h...)
	s.buf = binary.BigEndian.AppendUint64(s.buf, uint64(size))
	s.buf = append(s.buf, segment...)
	s.mac.Reset()
	s.mac.Write(s.buf)
	s.sum = s.mac.Sum(s.sum[:0])
	return s.sum
}

// input returns the keyed hash of an original request, hex encoded.
func (s *sealer) input(text string) string {
	s.mac.Reset()
	s.mac.Write([]byte(macInput))
	s.mac.Write([]byte(text))
	s.sum = s.mac.Sum(s.sum[:0])
	return hex.EncodeToString(s.sum)
}

package ingest

import (
	"bufio"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/livetree/livetree/usher/fleet"
)

// KeyChecker decides whether key may publish stream. It returns nil to
// allow, or an error wrapping ErrBadKey to refuse; any other error is an
// outage of the checker and refuses too.
type KeyChecker interface {
	CheckKey(ctx context.Context, stream, key string) error
}

// KeyCheckerFunc adapts a function to KeyChecker.
type KeyCheckerFunc func(ctx context.Context, stream, key string) error

// CheckKey calls f.
func (f KeyCheckerFunc) CheckKey(ctx context.Context, stream, key string) error {
	return f(ctx, stream, key)
}

// allowAll is the dev-mode checker used when no keys are configured.
var allowAll = KeyCheckerFunc(func(context.Context, string, string) error { return nil })

// Keys is a fixed table of stream keys, one per stream name. It is safe for
// concurrent use because it is never modified after it is built.
type Keys struct {
	// sums holds the SHA-256 of each stream's key: comparing digests of equal
	// length in constant time reveals neither the key nor its length.
	sums map[string][sha256.Size]byte
}

// LoadKeys reads a keys file: one "stream key" pair per line, blank lines
// and lines starting with # ignored.
func LoadKeys(path string) (*Keys, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("keys file: %w", err)
	}
	defer f.Close()
	k, err := ParseKeys(f)
	if err != nil {
		return nil, fmt.Errorf("keys file %s: %w", path, err)
	}
	return k, nil
}

// ParseKeys parses the keys file format described at LoadKeys. Errors name
// the line but never quote a key.
func ParseKeys(r io.Reader) (*Keys, error) {
	k := &Keys{sums: make(map[string][sha256.Size]byte)}
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		fields := strings.Fields(text)
		if len(fields) != 2 {
			return nil, fmt.Errorf("line %d: want \"stream key\", got %d fields", line, len(fields))
		}
		if err := checkName(fields[0]); err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		if _, dup := k.sums[fields[0]]; dup {
			return nil, fmt.Errorf("line %d: stream %s listed twice", line, fields[0])
		}
		k.sums[fields[0]] = sha256.Sum256([]byte(fields[1]))
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return k, nil
}

// Len returns the number of streams with a key.
func (k *Keys) Len() int { return len(k.sums) }

// CheckKey implements KeyChecker. An unknown stream is refused exactly like
// a wrong key, so probing does not reveal which names exist.
func (k *Keys) CheckKey(_ context.Context, stream, key string) error {
	want, known := k.sums[stream]
	got := sha256.Sum256([]byte(key))
	if subtle.ConstantTimeCompare(want[:], got[:]) != 1 || !known || key == "" {
		return fmt.Errorf("%w for stream %s", ErrBadKey, stream)
	}
	return nil
}

// anyKey grants a key that any of its checkers grants.
type anyKey []KeyChecker

// CheckKey implements KeyChecker. A key every checker refuses is refused
// with ErrBadKey; when a checker could not answer and none granted, the
// outage is returned instead, since the silent checker might have
// granted.
func (a anyKey) CheckKey(ctx context.Context, stream, key string) error {
	var outages []error
	for _, c := range a {
		err := c.CheckKey(ctx, stream, key)
		switch {
		case err == nil:
			return nil
		case !errors.Is(err, ErrBadKey):
			outages = append(outages, err)
		}
	}
	if len(outages) > 0 {
		return errors.Join(outages...)
	}
	return fmt.Errorf("%w for stream %s", ErrBadKey, stream)
}

// redisKeys checks keys against usher's Redis, translating its refusal
// into ErrBadKey.
type redisKeys struct{ k *fleet.KeyChecker }

// CheckKey implements KeyChecker.
func (r redisKeys) CheckKey(ctx context.Context, stream, key string) error {
	err := r.k.CheckKey(ctx, stream, key)
	if errors.Is(err, fleet.ErrBadKey) {
		return fmt.Errorf("%w for stream %s", ErrBadKey, stream)
	}
	return err
}

package fleet

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// KeysHash is the Redis hash of stream keys: field stream name, value key.
const KeysHash = "streamkeys"

// KeyChecker checks publishers' stream keys against usher's Redis. It is
// safe for concurrent use.
type KeyChecker struct {
	rdb redis.UniversalClient
}

// NewKeyChecker returns a checker reading KeysHash through rdb.
func NewKeyChecker(rdb redis.UniversalClient) *KeyChecker {
	return &KeyChecker{rdb: rdb}
}

// CheckKey returns nil when key is stream's key, an error wrapping
// ErrBadKey when it is not or the stream has none, and any other error
// when Redis cannot answer; a caller refuses the publisher in both cases.
// Errors never quote the key.
func (k *KeyChecker) CheckKey(ctx context.Context, stream, key string) error {
	want, err := k.rdb.HGet(ctx, KeysHash, stream).Result()
	known := true
	if errors.Is(err, redis.Nil) {
		known = false
	} else if err != nil {
		return fmt.Errorf("fleet: read stream key: %w", err)
	}
	// Comparing digests of equal length reveals neither the key nor its
	// length through timing.
	a, b := sha256.Sum256([]byte(want)), sha256.Sum256([]byte(key))
	if subtle.ConstantTimeCompare(a[:], b[:]) != 1 || !known || key == "" {
		return fmt.Errorf("%w for stream %s", ErrBadKey, stream)
	}
	return nil
}

// SetKey stores stream's key.
func (k *KeyChecker) SetKey(ctx context.Context, stream, key string) error {
	if err := k.rdb.HSet(ctx, KeysHash, stream, key).Err(); err != nil {
		return fmt.Errorf("fleet: store stream key: %w", err)
	}
	return nil
}

// DeleteKey removes stream's key, refusing every later publisher.
func (k *KeyChecker) DeleteKey(ctx context.Context, stream string) error {
	if err := k.rdb.HDel(ctx, KeysHash, stream).Err(); err != nil {
		return fmt.Errorf("fleet: delete stream key: %w", err)
	}
	return nil
}

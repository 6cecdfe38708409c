package play

import (
	"sync"
	"sync/atomic"

	"github.com/cespare/xxhash/v2"
)

// maxCached bounds a parse cache; when full it starts again empty, which
// costs one parse per body still in use.
const maxCached = 4096

// parseCache parses each distinct body once, however many viewers receive
// it, and hands every one of them the same read-only result. Bodies are
// keyed by their 64-bit xxhash: every viewer of a stream gets the same
// bytes for the same blocking reload, so one parse serves them all.
type parseCache[T any] struct {
	parse func([]byte) (T, error)

	mu sync.Mutex // guards m
	m  map[uint64]*cacheEntry[T]

	hits, misses atomic.Int64
}

type cacheEntry[T any] struct {
	once sync.Once
	v    T
	err  error
}

func newParseCache[T any](parse func([]byte) (T, error)) *parseCache[T] {
	return &parseCache[T]{parse: parse, m: make(map[uint64]*cacheEntry[T])}
}

// get returns body's parse. Viewers that ask for a body being parsed wait
// for that one parse rather than repeat it.
func (c *parseCache[T]) get(body []byte) (T, error) {
	h := xxhash.Sum64(body)
	c.mu.Lock()
	e, ok := c.m[h]
	if !ok {
		if len(c.m) >= maxCached {
			clear(c.m)
		}
		e = &cacheEntry[T]{}
		c.m[h] = e
	}
	c.mu.Unlock()
	if ok {
		c.hits.Add(1)
	} else {
		c.misses.Add(1)
	}
	e.once.Do(func() { e.v, e.err = c.parse(body) })
	return e.v, e.err
}

// Package token issues and checks signed playback tokens: short, URL-safe
// strings that let a viewer fetch every file of one stream until an expiry,
// optionally only from one client IP.
//
// A token is the unpadded base64url encoding of
//
//	version(1)=1 | flags(1) | expiry(4, unix seconds, big endian) |
//	kidLen(1) | kid(1..8) | streamHint(3) | [ipTag(4) if flags&1] | mac(32)
//
// where mac is HMAC-SHA256 under the key named kid over a domain string,
// every byte before the mac, and the stream name. The stream name and the
// IP are not carried: the verifier takes them from the request, which keeps
// tokens under 80 characters (59 for a two-byte key ID). streamHint, three
// bytes of the stream name's xxhash, only lets Verify tell a token for
// another stream from a forged one. ipTag is the first four bytes of an
// HMAC of the IP under the same key, so the IP cannot be recovered from a
// token, and a token replayed from another address fails with ErrWrongIP.
//
// Keys rotate by ID: add the new key to every verifier, then make it the
// signer's current key, and drop the old one once its tokens have expired.
package token

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash"
	"net/netip"
	"sync"

	"github.com/cespare/xxhash/v2"
)

const (
	version    = 1
	flagIP     = 1
	maxKidLen  = 8
	minKeyLen  = 16
	hintLen    = 3
	ipTagLen   = 4
	macLen     = sha256.Size
	headerLen  = 7 // version, flags, expiry, kidLen
	maxRawLen  = headerLen + maxKidLen + hintLen + ipTagLen + macLen
	maxEncoded = (maxRawLen*8 + 5) / 6
)

// Domain strings separate the two uses of each key.
var (
	macDomain = []byte("livetree token v1\x00")
	ipDomain  = []byte("livetree token ip v1\x00")
)

// key is one secret with a pool of HMAC states, since an HMAC state is not
// safe for concurrent use and building one allocates.
type key struct {
	id   string
	pool sync.Pool // of *macState
}

// macState is a pooled HMAC with scratch space, so that hashing a string
// or an address needs no allocation.
type macState struct {
	h   hash.Hash
	buf [maxRawLen + binary.MaxVarintLen64]byte
	sum [macLen]byte
}

// keyring maps key IDs to keys.
type keyring map[string]*key

func newKeyring(secrets map[string][]byte) (keyring, error) {
	kr := make(keyring, len(secrets))
	for id, secret := range secrets {
		if len(id) == 0 || len(id) > maxKidLen {
			return nil, fmt.Errorf("%w: key id %q must be 1 to %d bytes", ErrBadKey, id, maxKidLen)
		}
		if len(secret) < minKeyLen {
			return nil, fmt.Errorf("%w: key %q is %d bytes, want at least %d", ErrBadKey, id, len(secret), minKeyLen)
		}
		secret := append([]byte(nil), secret...)
		kr[id] = &key{id: id, pool: sync.Pool{New: func() any {
			return &macState{h: hmac.New(sha256.New, secret)}
		}}}
	}
	return kr, nil
}

// mac computes the token MAC over body and stream into out.
func (k *key) mac(out *[macLen]byte, body []byte, stream string) {
	m := k.pool.Get().(*macState)
	m.h.Reset()
	m.h.Write(macDomain)
	// Copying body to the pooled buffer keeps the caller's stack array from
	// escaping through the hash.Hash interface.
	n := copy(m.buf[:], body)
	n += binary.PutUvarint(m.buf[n:], uint64(len(stream)))
	m.h.Write(m.buf[:n])
	for rest := stream; len(rest) > 0; {
		n := copy(m.buf[:], rest)
		m.h.Write(m.buf[:n])
		rest = rest[n:]
	}
	copy(out[:], m.h.Sum(m.sum[:0]))
	k.pool.Put(m)
}

// ipTag computes the tag binding a token to addr.
func (k *key) ipTag(out *[ipTagLen]byte, addr netip.Addr) {
	m := k.pool.Get().(*macState)
	m.h.Reset()
	m.h.Write(ipDomain)
	a16 := addr.Unmap().As16()
	copy(m.buf[:], a16[:])
	m.h.Write(m.buf[:16])
	copy(out[:], m.h.Sum(m.sum[:0]))
	k.pool.Put(m)
}

// streamHint returns three bytes of the stream name's hash.
func streamHint(stream string) [hintLen]byte {
	h := xxhash.Sum64String(stream)
	return [hintLen]byte{byte(h >> 56), byte(h >> 48), byte(h >> 40)}
}

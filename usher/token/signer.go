package token

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math"
	"net/netip"
	"time"
)

// Signer issues tokens with its current key. It is safe for concurrent use.
type Signer struct {
	keys    keyring
	current *key
}

// NewSigner returns a signer over keys (key ID → secret of at least 16
// bytes; IDs of 1 to 8 bytes) that signs with the key named current.
func NewSigner(keys map[string][]byte, current string) (*Signer, error) {
	kr, err := newKeyring(keys)
	if err != nil {
		return nil, err
	}
	k, ok := kr[current]
	if !ok {
		return nil, fmt.Errorf("%w: current key %q not in key set", ErrBadKey, current)
	}
	return &Signer{keys: kr, current: k}, nil
}

// KeyID returns the ID of the key new tokens are signed with.
func (s *Signer) KeyID() string { return s.current.id }

// Sign returns a token for every file of stream, valid until exp (second
// precision, truncated). A valid ip binds the token to that client address;
// the zero netip.Addr leaves it unbound.
func (s *Signer) Sign(stream string, exp time.Time, ip netip.Addr) (string, error) {
	secs := exp.Unix()
	if secs < 1 || secs > math.MaxUint32 {
		return "", fmt.Errorf("%w: %v", ErrExpiryRange, exp)
	}
	k := s.current
	var raw [maxRawLen]byte
	raw[0] = version
	binary.BigEndian.PutUint32(raw[2:6], uint32(secs))
	raw[6] = byte(len(k.id))
	n := headerLen + copy(raw[headerLen:], k.id)
	hint := streamHint(stream)
	n += copy(raw[n:], hint[:])
	if ip.IsValid() {
		raw[1] |= flagIP
		var tag [ipTagLen]byte
		k.ipTag(&tag, ip)
		n += copy(raw[n:], tag[:])
	}
	var sum [macLen]byte
	k.mac(&sum, raw[:n], stream)
	n += copy(raw[n:], sum[:])
	return base64.RawURLEncoding.EncodeToString(raw[:n]), nil
}

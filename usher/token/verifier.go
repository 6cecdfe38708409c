package token

import (
	"crypto/subtle"
	"encoding/binary"
	"net/netip"
	"time"
)

// Verifier checks tokens against a set of keys, without I/O. It is safe for
// concurrent use.
type Verifier struct {
	keys keyring
}

// NewVerifier returns a verifier accepting tokens signed by any of keys.
func NewVerifier(keys map[string][]byte) (*Verifier, error) {
	kr, err := newKeyring(keys)
	if err != nil {
		return nil, err
	}
	return &Verifier{keys: kr}, nil
}

// Verify reports whether tok lets the client at ip fetch files of stream at
// time now. A token is good through its expiry second. The checks run
// cheapest first and the signature before expiry and IP, so ErrExpired and
// ErrWrongIP are only returned for authentic tokens.
func (v *Verifier) Verify(tok, stream string, now time.Time, ip netip.Addr) error {
	if len(tok) > maxEncoded {
		return ErrMalformed
	}
	var raw [maxRawLen]byte
	n, ok := decodeB64(raw[:], tok)
	if !ok || n < headerLen {
		return ErrMalformed
	}
	flags, kidLen := raw[1], int(raw[6])
	if raw[0] != version || flags&^flagIP != 0 || kidLen == 0 || kidLen > maxKidLen {
		return ErrMalformed
	}
	bodyLen := headerLen + kidLen + hintLen
	if flags&flagIP != 0 {
		bodyLen += ipTagLen
	}
	if n != bodyLen+macLen {
		return ErrMalformed
	}
	k, ok := v.keys[string(raw[headerLen:headerLen+kidLen])]
	if !ok {
		return ErrUnknownKey
	}
	hint := streamHint(stream)
	if subtle.ConstantTimeCompare(hint[:], raw[headerLen+kidLen:headerLen+kidLen+hintLen]) != 1 {
		return ErrWrongStream
	}
	var sum [macLen]byte
	k.mac(&sum, raw[:bodyLen], stream)
	if subtle.ConstantTimeCompare(sum[:], raw[bodyLen:n]) != 1 {
		return ErrBadSignature
	}
	if now.Unix() > int64(binary.BigEndian.Uint32(raw[2:6])) {
		return ErrExpired
	}
	if flags&flagIP != 0 {
		if !ip.IsValid() {
			return ErrWrongIP
		}
		var tag [ipTagLen]byte
		k.ipTag(&tag, ip)
		if subtle.ConstantTimeCompare(tag[:], raw[bodyLen-ipTagLen:bodyLen]) != 1 {
			return ErrWrongIP
		}
	}
	return nil
}

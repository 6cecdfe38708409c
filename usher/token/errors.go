package token

import "errors"

// Verification errors. Verify returns them unwrapped, so a caller can
// switch on them directly; errors.Is works as well.
var (
	// ErrMalformed reports a token that does not decode or parse.
	ErrMalformed = errors.New("token: malformed")
	// ErrUnknownKey reports a token signed with a key ID the verifier lacks.
	ErrUnknownKey = errors.New("token: unknown key id")
	// ErrWrongStream reports a token issued for another stream.
	ErrWrongStream = errors.New("token: wrong stream")
	// ErrBadSignature reports a token whose signature does not verify.
	ErrBadSignature = errors.New("token: bad signature")
	// ErrExpired reports an authentic token past its expiry.
	ErrExpired = errors.New("token: expired")
	// ErrWrongIP reports an authentic IP-bound token presented from
	// another address.
	ErrWrongIP = errors.New("token: wrong client ip")
)

// Configuration and signing errors.
var (
	// ErrBadKey reports a key ID or secret NewSigner or NewVerifier rejects.
	ErrBadKey = errors.New("token: bad key")
	// ErrExpiryRange reports an expiry outside what the format holds
	// (1970-01-01T00:00:01Z to 2106-02-07T06:28:15Z).
	ErrExpiryRange = errors.New("token: expiry out of range")
)

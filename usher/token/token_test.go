package token

import (
	"encoding/base64"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"
)

var (
	now     = time.Unix(1_700_000_000, 0)
	oldKey  = []byte("0123456789abcdef-old-secret")
	newKey  = []byte("fedcba9876543210-new-secret")
	clientA = netip.MustParseAddr("198.51.100.7")
	clientB = netip.MustParseAddr("198.51.100.8")
	client6 = netip.MustParseAddr("2001:db8::7")
)

func mustSigner(t testing.TB, keys map[string][]byte, current string) *Signer {
	t.Helper()
	s, err := NewSigner(keys, current)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustVerifier(t testing.TB, keys map[string][]byte) *Verifier {
	t.Helper()
	v, err := NewVerifier(keys)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func mustSign(t testing.TB, s *Signer, stream string, exp time.Time, ip netip.Addr) string {
	t.Helper()
	tok, err := s.Sign(stream, exp, ip)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// mutate decodes tok, lets f edit the raw bytes, and re-encodes them.
func mutate(t testing.TB, tok string, f func([]byte) []byte) string {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(f(raw))
}

func TestVerify(t *testing.T) {
	both := map[string][]byte{"k1": oldKey, "k2": newKey}
	s1 := mustSigner(t, both, "k1")
	s2 := mustSigner(t, both, "k2")
	exp := now.Add(time.Hour)
	unbound := mustSign(t, s2, "live/cat", exp, netip.Addr{})
	bound := mustSign(t, s2, "live/cat", exp, clientA)

	tests := []struct {
		name    string
		keys    map[string][]byte
		tok     string
		stream  string
		now     time.Time
		ip      netip.Addr
		wantErr error
	}{
		{"unbound token from any address", both, unbound, "live/cat", now, clientB, nil},
		{"unbound token without address", both, unbound, "live/cat", now, netip.Addr{}, nil},
		{"bound token from its address", both, bound, "live/cat", now, clientA, nil},
		{"bound token from v4-mapped v6 form", both, bound, "live/cat", now, netip.MustParseAddr("::ffff:198.51.100.7"), nil},
		{"bound IPv6 token", both, mustSign(t, s2, "live/cat", exp, client6), "live/cat", now, client6, nil},
		{"valid through its expiry second", both, unbound, "live/cat", exp.Add(999 * time.Millisecond), clientA, nil},
		{"expired one second later", both, unbound, "live/cat", exp.Add(time.Second), clientA, ErrExpired},
		{"wrong stream", both, unbound, "live/dog", now, clientA, ErrWrongStream},
		{"bound token from another address", both, bound, "live/cat", now, clientB, ErrWrongIP},
		{"bound token without address", both, bound, "live/cat", now, netip.Addr{}, ErrWrongIP},
		{"old key still accepted during rotation", both, mustSign(t, s1, "live/cat", exp, netip.Addr{}), "live/cat", now, clientA, nil},
		{"retired key", map[string][]byte{"k2": newKey}, mustSign(t, s1, "live/cat", exp, netip.Addr{}), "live/cat", now, clientA, ErrUnknownKey},
		{"same key id, other secret", map[string][]byte{"k2": oldKey}, unbound, "live/cat", now, clientA, ErrBadSignature},
		{"flipped signature bit", both, mutate(t, unbound, func(b []byte) []byte { b[len(b)-1] ^= 1; return b }), "live/cat", now, clientA, ErrBadSignature},
		{"extended expiry", both, mutate(t, unbound, func(b []byte) []byte { b[2]++; return b }), "live/cat", now, clientA, ErrBadSignature},
		{"ip flag stripped", both, mutate(t, bound, func(b []byte) []byte {
			b[1] = 0
			return append(b[:7+2+3], b[7+2+3+4:]...)
		}), "live/cat", now, clientB, ErrBadSignature},
		{"empty", both, "", "live/cat", now, clientA, ErrMalformed},
		{"not base64url", both, strings.Replace(unbound, unbound[5:6], "+", 1), "live/cat", now, clientA, ErrMalformed},
		{"padded", both, unbound + "=", "live/cat", now, clientA, ErrMalformed},
		{"truncated", both, unbound[:len(unbound)-4], "live/cat", now, clientA, ErrMalformed},
		{"trailing byte", both, mutate(t, unbound, func(b []byte) []byte { return append(b, 0) }), "live/cat", now, clientA, ErrMalformed},
		{"unknown version", both, mutate(t, unbound, func(b []byte) []byte { b[0] = 2; return b }), "live/cat", now, clientA, ErrMalformed},
		{"unknown flag", both, mutate(t, unbound, func(b []byte) []byte { b[1] = 2; return b }), "live/cat", now, clientA, ErrMalformed},
		{"too long", both, strings.Repeat("A", 200), "live/cat", now, clientA, ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := mustVerifier(t, tc.keys)
			if err := v.Verify(tc.tok, tc.stream, tc.now, tc.ip); !errors.Is(err, tc.wantErr) {
				t.Fatalf("Verify = %v, want %v", err, tc.wantErr)
			}
		})
	}
}

func TestTokenLength(t *testing.T) {
	tests := []struct {
		name string
		kid  string
		ip   netip.Addr
		want int
	}{
		{"two-byte key id, unbound", "k2", netip.Addr{}, 59},
		{"two-byte key id, bound", "k2", clientA, 64},
		{"longest key id, bound", "20250101", client6, 72},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := mustSigner(t, map[string][]byte{tc.kid: newKey}, tc.kid)
			tok := mustSign(t, s, strings.Repeat("very-long-stream-name/", 20), now, tc.ip)
			if len(tok) != tc.want || len(tok) >= 80 {
				t.Errorf("len = %d, want %d (< 80): %s", len(tok), tc.want, tok)
			}
		})
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name    string
		keys    map[string][]byte
		current string
		want    error
	}{
		{"short secret", map[string][]byte{"k": []byte("short")}, "k", ErrBadKey},
		{"empty key id", map[string][]byte{"": newKey}, "", ErrBadKey},
		{"long key id", map[string][]byte{"123456789": newKey}, "123456789", ErrBadKey},
		{"current missing", map[string][]byte{"k": newKey}, "other", ErrBadKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewSigner(tc.keys, tc.current); !errors.Is(err, tc.want) {
				t.Fatalf("NewSigner = %v, want %v", err, tc.want)
			}
		})
	}
	s := mustSigner(t, map[string][]byte{"k": newKey}, "k")
	for _, exp := range []time.Time{time.Unix(0, 0), time.Unix(1<<32, 0)} {
		if _, err := s.Sign("x", exp, netip.Addr{}); !errors.Is(err, ErrExpiryRange) {
			t.Errorf("Sign(exp %v) = %v, want ErrExpiryRange", exp, err)
		}
	}
}

func TestDecodeB64(t *testing.T) {
	var buf [maxRawLen]byte
	for _, s := range []string{"", "AA", "AAA", "AAAA", "_-8", "Zm9vYmFy"} {
		n, ok := decodeB64(buf[:], s)
		want, err := base64.RawURLEncoding.Strict().DecodeString(s)
		if !ok || err != nil || string(buf[:n]) != string(want) {
			t.Errorf("%q: got %x %v, want %x %v", s, buf[:n], ok, want, err)
		}
	}
	for _, s := range []string{"A", "AB", "AAB", "A=", "A+", "A/", "A A"} {
		if _, ok := decodeB64(buf[:], s); ok {
			t.Errorf("%q decoded", s)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	keys := map[string][]byte{"k1": oldKey, "k2": newKey}
	s := mustSigner(b, keys, "k2")
	v := mustVerifier(b, keys)
	for _, tc := range []struct {
		name string
		ip   netip.Addr
	}{{"unbound", netip.Addr{}}, {"ip-bound", clientA}} {
		tok := mustSign(b, s, "live/some-channel", now.Add(time.Hour), tc.ip)
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := v.Verify(tok, "live/some-channel", now, clientA); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
	b.Run("forged", func(b *testing.B) {
		tok := mutate(b, mustSign(b, s, "live/some-channel", now, netip.Addr{}), func(r []byte) []byte { r[len(r)-1] ^= 1; return r })
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if v.Verify(tok, "live/some-channel", now, clientA) != ErrBadSignature {
				b.Fatal("forgery accepted")
			}
		}
	})
}

func BenchmarkSign(b *testing.B) {
	s := mustSigner(b, map[string][]byte{"k2": newKey}, "k2")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := s.Sign("live/some-channel", now, clientA); err != nil {
			b.Fatal(err)
		}
	}
}

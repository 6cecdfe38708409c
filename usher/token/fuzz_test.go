package token

import (
	"encoding/base64"
	"encoding/binary"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/livetree/livetree/internal/fuzzseed"
)

var update = flag.Bool("update", false, "rewrite the FuzzVerify seed corpus under testdata")

// fuzzKeys, fuzzNow and fuzzIP are fixed so the committed corpus stays
// meaningful.
var (
	fuzzKeys = map[string][]byte{"k1": oldKey, "k2": newKey}
	fuzzNow  = time.Unix(1_700_000_000, 0)
	fuzzIP   = netip.MustParseAddr("198.51.100.7")
)

// seedTokens are the FuzzVerify seeds, one corpus file each; the comment
// says what each one exercises.
func seedTokens(t testing.TB) map[string][2]string {
	s := mustSigner(t, fuzzKeys, "k2")
	exp := fuzzNow.Add(time.Hour)
	unbound := mustSign(t, s, "live/cat", exp, netip.Addr{})
	bound := mustSign(t, s, "live/cat", exp, fuzzIP)
	return map[string][2]string{
		"valid-unbound":   {unbound, "live/cat"},                                                             // accepted path
		"valid-ip-bound":  {bound, "live/cat"},                                                               // accepted with IP tag
		"wrong-stream":    {unbound, "live/dog"},                                                             // stream hint mismatch
		"expired":         {mustSign(t, s, "live/cat", fuzzNow.Add(-time.Second), netip.Addr{}), "live/cat"}, // authentic but late
		"wrong-ip":        {mustSign(t, s, "live/cat", exp, netip.MustParseAddr("2001:db8::1")), "live/cat"}, // tag mismatch
		"flipped-mac":     {mutate(t, unbound, func(b []byte) []byte { b[len(b)-1] ^= 0x80; return b }), "live/cat"},
		"kid-len-zero":    {mutate(t, unbound, func(b []byte) []byte { b[6] = 0; return b }), "live/cat"},
		"kid-len-255":     {mutate(t, unbound, func(b []byte) []byte { b[6] = 255; return b }), "live/cat"}, // length past buffer
		"nonzero-tail":    {unbound[:len(unbound)-1] + "B", "live/cat"},                                     // non-canonical last char
		"padding":         {unbound + "==", "live/cat"},
		"header-only":     {base64.RawURLEncoding.EncodeToString([]byte{1, 0, 0, 0, 0, 1, 2, 'k'}), "live/cat"},
		"empty":           {"", ""},
		"one-char":        {"A", "x"},
		"long-stream-arg": {unbound, string(make([]byte, 300))}, // stream longer than the scratch buffer
	}
}

// TestSeedCorpus rewrites the committed corpus with -update and otherwise
// checks it is still in step with the token format.
func TestSeedCorpus(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzVerify")
	for name, seed := range seedTokens(t) {
		path := filepath.Join(dir, name)
		want := fuzzseed.Encode(seed[0], seed[1])
		if *update {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != string(want) {
			t.Errorf("%s is stale or missing (%v); run go test ./usher/token -run TestSeedCorpus -update", path, err)
		}
	}
}

// FuzzVerify checks that no input panics, that the base64 decoder accepts
// exactly the canonical encodings, and that any accepted token is the very
// token Sign produces for its claims: there is no second spelling and no
// way to smuggle bytes past the signature.
func FuzzVerify(f *testing.F) {
	for _, seed := range seedTokens(f) {
		f.Add(seed[0], seed[1])
	}
	s := mustSigner(f, fuzzKeys, "k2")
	s1 := mustSigner(f, fuzzKeys, "k1")
	v := mustVerifier(f, fuzzKeys)
	f.Fuzz(func(t *testing.T, tok, stream string) {
		var raw [maxRawLen]byte
		if n, ok := decodeB64(raw[:], tok); ok {
			if re := base64.RawURLEncoding.EncodeToString(raw[:n]); re != tok {
				t.Fatalf("decoder accepted non-canonical %q (canonical %q)", tok, re)
			}
		}
		err := v.Verify(tok, stream, fuzzNow, fuzzIP)
		if err != nil {
			return
		}
		b, _ := base64.RawURLEncoding.DecodeString(tok)
		exp := time.Unix(int64(binary.BigEndian.Uint32(b[2:6])), 0)
		ip := netip.Addr{}
		if b[1]&flagIP != 0 {
			ip = fuzzIP
		}
		signer := s
		if string(b[7:7+int(b[6])]) == "k1" {
			signer = s1
		}
		if want := mustSign(t, signer, stream, exp, ip); want != tok {
			t.Fatalf("accepted %q, but Sign gives %q", tok, want)
		}
	})
}

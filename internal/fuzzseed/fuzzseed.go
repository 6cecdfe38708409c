// Package fuzzseed writes seed corpus files for Go's native fuzzing, in
// its "go test fuzz v1" format, for the tests that record or build the
// committed corpora under testdata/fuzz.
package fuzzseed

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Encode returns a corpus file holding args, in the order of the fuzz
// target's arguments. It knows []byte, string, bool, int, uint8, uint16,
// uint32 and uint64; it panics on anything else, a mistake in a test.
func Encode(args ...any) []byte {
	var b strings.Builder
	b.WriteString("go test fuzz v1\n")
	for _, a := range args {
		switch v := a.(type) {
		case []byte:
			fmt.Fprintf(&b, "[]byte(%s)\n", strconv.QuoteToASCII(string(v)))
		case string:
			fmt.Fprintf(&b, "string(%s)\n", strconv.QuoteToASCII(v))
		case bool, int, uint8, uint16, uint32, uint64:
			fmt.Fprintf(&b, "%T(%v)\n", v, v)
		default:
			panic(fmt.Sprintf("fuzzseed: cannot encode %T", a))
		}
	}
	return []byte(b.String())
}

// Write writes the corpus file testdata/fuzz/target/name holding args.
func Write(t testing.TB, target, name string, args ...any) {
	t.Helper()
	dir := filepath.Join("testdata", "fuzz", target)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), Encode(args...), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Clip shortens the byte slices among args to at most n bytes, so that
// seeds recorded from live traffic keep the corpus small.
func Clip(n int, args ...any) []any {
	out := make([]any, len(args))
	for i, a := range args {
		if b, ok := a.([]byte); ok && len(b) > n {
			a = b[:n]
		}
		out[i] = a
	}
	return out
}

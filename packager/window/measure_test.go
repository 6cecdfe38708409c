package window

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/Eyevinn/mp4ff/mp4"
)

// fragment encodes a moof+mdat holding n samples, as mp4ff writes them.
func fragment(t testing.TB, n int) []byte {
	t.Helper()
	f, err := mp4.CreateFragment(1, 1)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		f.AddFullSample(mp4.FullSample{Sample: mp4.Sample{Dur: 3000, Size: 4}, DecodeTime: uint64(i) * 3000, Data: []byte{0, 0, 0, 1}})
	}
	var b bytes.Buffer
	if err := f.Encode(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestCountSamples(t *testing.T) {
	first, second := fragment(t, 3), fragment(t, 2)
	seg := append(append([]byte(nil), first...), second...)
	if n := countSamples(seg, 0); n != 5 {
		t.Fatalf("%d samples, want 5", n)
	}
	// A box claiming more than there is ends the count there: here the
	// second moof, cut short.
	if n := countSamples(seg[:len(first)+20], 0); n != 3 {
		t.Fatalf("cut: %d samples, want 3", n)
	}
	// A trun outside a traf is not counted: the first fragment's trun,
	// lifted out of its traf, before the second fragment.
	at := bytes.Index(first, []byte("trun")) - 4
	stray := first[at : at+int(binary.BigEndian.Uint32(first[at:]))]
	if n := countSamples(append(append([]byte(nil), stray...), second...), 0); n != 2 {
		t.Fatalf("stray trun: %d samples, want 2", n)
	}
}

// FuzzCountSamples checks that counting never panics on any bytes, such
// as a feed from a parent edge could carry.
func FuzzCountSamples(f *testing.F) {
	f.Add(fragment(f, 30))
	f.Fuzz(func(t *testing.T, b []byte) { countSamples(b, 0) })
}

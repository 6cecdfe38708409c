package window

import (
	"encoding/binary"
	"testing"
)

// box wraps body in a box of type typ.
func box(typ string, body ...[]byte) []byte {
	n := 8
	for _, b := range body {
		n += len(b)
	}
	out := binary.BigEndian.AppendUint32(nil, uint32(n))
	out = append(out, typ...)
	for _, b := range body {
		out = append(out, b...)
	}
	return out
}

// trun is a trun box body claiming n samples.
func trun(n uint32) []byte {
	return box("trun", []byte{0, 0, 0, 1}, binary.BigEndian.AppendUint32(nil, n))
}

func TestCountSamples(t *testing.T) {
	chunk := func(n uint32) []byte {
		return append(box("moof", box("mfhd", make([]byte, 8)), box("traf", box("tfhd", make([]byte, 8)), trun(n))),
			box("mdat", make([]byte, 40))...)
	}
	seg := append(append(box("styp", []byte("msdh")), chunk(3)...), chunk(2)...)
	if n := countSamples(seg, 0); n != 5 {
		t.Fatalf("%d samples, want 5", n)
	}
	// A box claiming more than there is ends the count there: here the
	// second moof, cut with its mdat.
	cut := seg[:len(seg)-48-20]
	if n := countSamples(cut, 0); n != 3 {
		t.Fatalf("cut: %d samples, want 3", n)
	}
	// A trun outside a traf is not counted.
	if n := countSamples(append(trun(7), chunk(1)...), 0); n != 1 {
		t.Fatalf("stray trun: %d samples, want 1", n)
	}
}

// FuzzCountSamples checks that counting never panics on any bytes, such
// as a feed from a parent edge could carry.
func FuzzCountSamples(f *testing.F) {
	f.Add(box("moof", box("traf", trun(30))))
	f.Add([]byte{0, 0, 0, 4, 'm', 'o', 'o', 'f'})
	f.Fuzz(func(t *testing.T, b []byte) { countSamples(b, 0) })
}

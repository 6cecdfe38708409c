package arrival

import (
	"encoding/binary"
	"errors"
	"testing"
	"time"
)

// cmsg encodes one control message as the kernel lays it out, padded.
func cmsg(level, typ int32, data []byte) []byte {
	b := make([]byte, cmsgHeader, align(cmsgHeader+len(data)))
	putWord(b, uint64(cmsgHeader+len(data)))
	binary.NativeEndian.PutUint32(b[word:], uint32(level))
	binary.NativeEndian.PutUint32(b[word+4:], uint32(typ))
	b = append(b, data...)
	return b[:cap(b)]
}

// words encodes C longs.
func words(vs ...int64) []byte {
	b := make([]byte, len(vs)*word)
	for i, v := range vs {
		putWord(b[i*word:], uint64(v))
	}
	return b
}

func putWord(b []byte, v uint64) {
	if word == 4 {
		binary.NativeEndian.PutUint32(b, uint32(v))
		return
	}
	binary.NativeEndian.PutUint64(b, v)
}

func join(bs ...[]byte) []byte {
	var out []byte
	for _, b := range bs {
		out = append(out, b...)
	}
	return out
}

var controlCases = []struct {
	name string
	oob  []byte
	want time.Time
	err  error
}{
	{"timestampns", cmsg(solSocket, scmTimestampNS, words(1700000000, 123456789)), time.Unix(1700000000, 123456789), nil},
	{"timestamp in µs", cmsg(solSocket, scmTimestamp, words(1700000000, 123456)), time.Unix(1700000000, 123456000), nil},
	{"timestamping software", cmsg(solSocket, scmTimestamping, words(1700000000, 5, 0, 0, 0, 0)), time.Unix(1700000000, 5), nil},
	{"timestamping hardware only", cmsg(solSocket, scmTimestamping, words(0, 0, 0, 0, 1700000001, 7)), time.Unix(1700000001, 7), nil},
	{"timestampns all zero", cmsg(solSocket, scmTimestampNS, words(0, 0)), time.Time{}, ErrNoStamp},
	{"timestamping all zero", cmsg(solSocket, scmTimestamping, words(0, 0, 0, 0, 0, 0)), time.Time{}, ErrNoStamp},
	{"after another message", join(cmsg(0, 8, []byte{1, 2, 3}), cmsg(solSocket, scmTimestampNS, words(2, 3))), time.Unix(2, 3), nil},
	{"last message unpadded", cmsg(solSocket, scmTimestampNS, words(2, 3))[:cmsgHeader+2*word], time.Unix(2, 3), nil},
	{"empty", nil, time.Time{}, ErrNoStamp},
	{"other messages only", cmsg(0, 8, []byte{1}), time.Time{}, ErrNoStamp},
	{"short header", make([]byte, cmsgHeader-1), time.Time{}, ErrControl},
	{"length below header", join(words(int64(cmsgHeader-1)), make([]byte, cmsgHeader)), time.Time{}, ErrControl},
	{"length past end", cmsg(solSocket, scmTimestampNS, words(2, 3))[:cmsgHeader+word], time.Time{}, ErrControl},
	{"short timestamp", cmsg(solSocket, scmTimestampNS, words(2)), time.Time{}, ErrControl},
	{"nanoseconds out of range", cmsg(solSocket, scmTimestampNS, words(2, 1e9)), time.Time{}, ErrControl},
	{"negative seconds", cmsg(solSocket, scmTimestampNS, words(-2, 1)), time.Time{}, ErrControl},
}

func TestParseControl(t *testing.T) {
	for _, tc := range controlCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseControl(tc.oob)
			if !errors.Is(err, tc.err) || !got.Equal(tc.want) {
				t.Fatalf("ParseControl = %v, %v; want %v, %v", got, err, tc.want, tc.err)
			}
		})
	}
}

func TestParseControlAllocates(t *testing.T) {
	oob := join(cmsg(0, 8, []byte{1}), cmsg(solSocket, scmTimestampNS, words(2, 3)))
	if n := testing.AllocsPerRun(100, func() { _, _ = ParseControl(oob) }); n != 0 {
		t.Fatalf("ParseControl allocates %v times", n)
	}
}

// FuzzParseControl checks that no control messages make the parser panic
// or return a time without an error that the messages cannot hold.
func FuzzParseControl(f *testing.F) {
	for _, tc := range controlCases {
		f.Add(tc.oob)
	}
	f.Fuzz(func(t *testing.T, oob []byte) {
		got, err := ParseControl(oob)
		if err != nil {
			if !got.IsZero() {
				t.Fatalf("time %v with error %v", got, err)
			}
			return
		}
		if got.IsZero() || got.Unix() < 0 {
			t.Fatalf("no error but time %v", got)
		}
	})
}

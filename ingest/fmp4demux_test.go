package ingest

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"
)

// fragArgs are the ffmpeg arguments of a fragmented MP4 push.
var fragArgs = []string{
	"-f", "mp4", "-movflags", "+frag_keyframe+empty_moov+default_base_moof", "-frag_duration", "200000",
}

func TestDemuxFMP4(t *testing.T) {
	cases := []struct {
		name         string
		data         func(t *testing.T) []byte
		video, audio int // expected frame counts; audio within 3
	}{
		{"sample, one fragment per GOP", func(t *testing.T) []byte { return readRepoFile(t, "sample.cmaf.mp4") },
			sampleVideoFrames, sampleAudioFrames},
		{"ffmpeg, 200 ms fragments", func(t *testing.T) []byte {
			return ffmpegOutput(t, "frag.mp4", append([]string{"-c:v", "libx264", "-g", "30", "-c:a", "aac"}, fragArgs...)...)
		}, 15, 24},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, fs, st := newTestSink(t, protoFMP4)
			if err := demuxFMP4(bytes.NewReader(c.data(t)), s, maxBoxBytes); err != nil {
				t.Fatal(err)
			}
			s.close()
			v, a := fs.count()
			if v != c.video || a < c.audio-3 || a > c.audio+3 {
				t.Errorf("%d video and %d audio frames, want %d and about %d", v, a, c.video, c.audio)
			}
			_, frames, _, _ := fs.snapshot()
			checkFrames(t, frames)
			if n := st.BadFrames.Load(); n != 0 {
				t.Errorf("%d bad frames", n)
			}
		})
	}
}

// boxHeader returns an 8-byte box header.
func boxHeader(size uint32, typ string) []byte {
	b := binary.BigEndian.AppendUint32(nil, size)
	return append(b, typ...)
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func TestDemuxFMP4BadInput(t *testing.T) {
	sample := readRepoFile(t, "sample.cmaf.mp4")
	// The sample starts with ftyp and moov; find where the first moof is.
	ftypLen := binary.BigEndian.Uint32(sample)
	moovLen := binary.BigEndian.Uint32(sample[ftypLen:])
	initLen := int(ftypLen + moovLen)
	largeSize := append(boxHeader(1, "mdat"), binary.BigEndian.AppendUint64(nil, 1<<40)...)

	cases := []struct {
		name   string
		data   func(t *testing.T) []byte
		maxBox int
		want   error
	}{
		{"box claims 1 GiB", func(*testing.T) []byte {
			return append(boxHeader(1<<30, "mdat"), make([]byte, 4096)...)
		}, maxBoxBytes, ErrTooLarge},
		{"64-bit size claims 1 TiB", func(*testing.T) []byte { return largeSize }, maxBoxBytes, ErrTooLarge},
		{"small configured cap", func(*testing.T) []byte { return sample }, 4096, ErrTooLarge},
		{"size zero", func(*testing.T) []byte { return boxHeader(0, "mdat") }, maxBoxBytes, ErrBadMedia},
		{"size below header", func(*testing.T) []byte { return boxHeader(4, "free") }, maxBoxBytes, ErrBadMedia},
		{"moof before moov", func(*testing.T) []byte { return sample[initLen:] }, maxBoxBytes, ErrBadMedia},
		{"cut inside a box", func(*testing.T) []byte { return sample[:initLen+1000] }, maxBoxBytes, ErrBadMedia},
		{"cut inside a header", func(*testing.T) []byte { return sample[:initLen+3] }, maxBoxBytes, ErrBadMedia},
		{"corrupt moov", func(*testing.T) []byte {
			b := bytes.Clone(sample[:initLen])
			for i := int(ftypLen) + 8; i < initLen; i += 3 {
				b[i] ^= 0x5a
			}
			return b
		}, maxBoxBytes, ErrBadMedia},
		{"not MP4 at all", func(*testing.T) []byte { return bytes.Repeat([]byte{0x47}, 1000) }, maxBoxBytes, ErrTooLarge},
		{"MPEG-4 part 2 video", func(t *testing.T) []byte {
			return ffmpegOutput(t, "mp4v.mp4", append([]string{"-c:v", "mpeg4", "-c:a", "aac"}, fragArgs...)...)
		}, maxBoxBytes, ErrUnsupportedCodec},
		{"MP3 audio", func(t *testing.T) []byte {
			return ffmpegOutput(t, "mp3.mp4", append([]string{"-c:v", "libx264", "-c:a", "libmp3lame"}, fragArgs...)...)
		}, maxBoxBytes, ErrUnsupportedCodec},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, _, _ := newTestSink(t, protoFMP4)
			r := &countingReader{r: bytes.NewReader(c.data(t))}
			err := demuxFMP4(r, s, c.maxBox)
			t.Logf("error: %v", err)
			if !errors.Is(err, c.want) {
				t.Fatalf("error %v, want %v", err, c.want)
			}
			if errors.Is(err, ErrTooLarge) && r.n > 16 && c.maxBox == maxBoxBytes {
				t.Errorf("read %d bytes past the header of an oversized box", r.n-16)
			}
		})
	}
}

func TestSplitAVCC(t *testing.T) {
	cases := []struct {
		name string
		in   []byte
		want [][]byte
		ok   bool
	}{
		{"two", []byte{0, 0, 0, 2, 0x65, 1, 0, 0, 0, 1, 0x06}, [][]byte{{0x65, 1}, {0x06}}, true},
		{"empty", nil, nil, true},
		{"zero length skipped", []byte{0, 0, 0, 0, 0, 0, 0, 1, 9}, [][]byte{{9}}, true},
		{"length too long", []byte{0, 0, 0, 5, 1, 2}, nil, false},
		{"short prefix", []byte{0, 0, 1}, nil, false},
		{"huge length", []byte{0xff, 0xff, 0xff, 0xff, 1}, nil, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := splitAVCC(c.in, nil)
			if ok != c.ok {
				t.Fatalf("ok = %v", ok)
			}
			if ok && len(got) != len(c.want) {
				t.Fatalf("got %d NALUs, want %d", len(got), len(c.want))
			}
			for i := range c.want {
				if ok && !bytes.Equal(got[i], c.want[i]) {
					t.Errorf("NALU %d = %x, want %x", i, got[i], c.want[i])
				}
			}
		})
	}
}

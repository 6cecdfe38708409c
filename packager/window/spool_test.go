package window

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// fillTrack appends segments of four 5,000-byte chunks (two parts) of one
// second each, every byte telling its segment, and returns what it wrote.
func fillTrack(t *testing.T, tr *Track, from, n int) map[uint64][]byte {
	t.Helper()
	want := make(map[uint64][]byte)
	for msn := uint64(from); msn < uint64(from+n); msn++ {
		for c := 0; c < 4; c++ {
			data := bytes.Repeat([]byte{byte(msn), byte(c)}, 2500)
			m := ChunkMeta{MSN: msn, Part: c / 2, Duration: 250, EndOfPart: c%2 == 1, Independent: c == 0}
			if err := tr.Append(m, data); err != nil {
				t.Fatal(err)
			}
			want[msn] = append(want[msn], data...)
		}
	}
	return want
}

func newTestTrack(t *testing.T, span time.Duration) (*Streams, *Stream, *Track) {
	t.Helper()
	st := NewStream("spool", Config{SegmentTarget: time.Second, PartTarget: 500 * time.Millisecond, Span: span, MinSegments: 2})
	tr, _ := st.Track(1, true)
	tr.SetInit(&Init{Epoch: "e1", Info: TrackInfo{ID: 1, Kind: "video", Timescale: 1000}})
	all := NewStreams()
	all.Add(st)
	return all, st, tr
}

// readFile reads a segment's bytes back through the descriptor WithFile
// gives, as sendfile would.
func readFile(seg *Segment, from, n int) ([]byte, error) {
	buf := make([]byte, n)
	err := seg.WithFile(from, func(fd int, off int64) error {
		_, err := unix.Pread(fd, buf, off)
		return err
	})
	return buf, err
}

func TestSpoolKeepsEveryByte(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the spool is Linux only")
	}
	_, st, tr := newTestTrack(t, time.Minute)
	want := fillTrack(t, tr, 0, 6)
	st.Evict()
	segs := tr.Segments()
	if len(segs) != 6 {
		t.Fatalf("%d segments, want 6", len(segs))
	}
	for _, seg := range segs {
		t.Run(fmt.Sprint(seg.MSN), func(t *testing.T) {
			w := want[seg.MSN]
			if got, _ := seg.Bytes(0); !bytes.Equal(got, w) {
				t.Errorf("Bytes: %d bytes differ from the %d written", len(got), len(w))
			}
			if got, _ := seg.Bytes(7000); !bytes.Equal(got, w[7000:]) {
				t.Error("Bytes(7000) differs")
			}
			got, err := readFile(seg, 5000, 10000)
			if err != nil || !bytes.Equal(got, w[5000:15000]) {
				t.Errorf("file bytes 5000-15000 differ (%v)", err)
			}
			_, inMemory := seg.BytesInMemory(0)
			// The open segment and the newest complete one stay in memory.
			if wantMem := seg.MSN >= 4; inMemory != wantMem {
				t.Errorf("in memory %v, want %v", inMemory, wantMem)
			}
		})
	}
}

func TestSpoolEviction(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the spool is Linux only")
	}
	all, st, tr := newTestTrack(t, 2*time.Second)
	fillTrack(t, tr, 0, 3)
	first := tr.Segments()[0]
	fillTrack(t, tr, 3, 5)
	st.Evict()
	if _, ok := tr.Segment(0); ok {
		t.Fatal("segment 0 still in the window")
	}
	if _, err := readFile(first, 0, 100); !errors.Is(err, ErrGone) {
		t.Errorf("evicted segment's file: %v, want ErrGone", err)
	}
	if got, _ := first.Bytes(0); len(got) != 0 {
		t.Errorf("evicted segment gave %d bytes", len(got))
	}
	// RAM counts the file's held bytes and the two heap buffers, not the
	// bytes written since the start.
	if n := tr.Bytes(); n > 6*20000 {
		t.Errorf("track holds %d bytes for 3 segments of 20,000", n)
	}
	last := tr.Segments()[len(tr.Segments())-1]
	all.Remove("spool")
	if _, err := readFile(last, 0, 100); !errors.Is(err, ErrGone) {
		t.Errorf("removed stream's file: %v, want ErrGone", err)
	}
}

// TestSpoolReadersRaceRelease has readers read the file while its front is
// released under them: a read either finds its bytes intact or is told
// they are gone, never a hole. Readers take no lock (see spool).
func TestSpoolReadersRaceRelease(t *testing.T) {
	sp := newSpool("race")
	if sp == nil {
		t.Skip("no in-memory files here")
	}
	defer sp.close()
	const page, pages = 4096, 32
	for i := range pages {
		if _, err := sp.write(bytes.Repeat([]byte{byte(i%255 + 1)}, page)); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan struct{})
	errs := make(chan error, 4)
	for r := range 4 {
		go func() {
			buf := make([]byte, 1)
			for i := 0; ; i++ {
				select {
				case <-done:
					errs <- nil
					return
				default:
				}
				p := (i*7 + r*13) % pages
				err := sp.use(int64(p*page), func(fd int) error {
					_, err := pread(fd, buf, int64(p*page))
					return err
				})
				if err == nil && buf[0] != byte(p%255+1) {
					errs <- fmt.Errorf("page %d read %d after its check passed", p, buf[0])
					return
				}
			}
		}()
	}
	for p := 1; p <= pages; p++ {
		sp.release(int64(p * page))
		runtime.Gosched()
	}
	close(done)
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

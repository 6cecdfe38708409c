// Package packagertest gives tests of what reads or carries a window the
// committed sample media: decoded into frames, and recorded once as the
// real packager cuts it, to replay into fresh windows chunk by chunk with
// fixed epochs and wall clocks that make output deterministic.
package packagertest

import (
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/livetree/livetree/bench/push"
	"github.com/livetree/livetree/packager"
	"github.com/livetree/livetree/packager/window"
)

// Wall is when a recording's first frame arrived.
var Wall = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// Epochs name a recording's publishes, in order.
var Epochs = []string{"aaaaaaaa", "bbbbbbbb", "cccccccc"}

// Event is one chunk of a track, with the init segment of a new publish
// on the first chunk that belongs to it.
type Event struct {
	Track int
	Init  *window.Init // non-nil on a publish's first chunk of the track
	Meta  window.ChunkMeta
	Data  []byte
}

// Recording is a stream packaged once, in the order its chunks were made.
type Recording struct {
	Config window.Config // its Span keeps every chunk
	Events []Event
}

var (
	mu         sync.Mutex // guards sample and recordings
	sample     *push.Media
	recordings = map[int]*Recording{}
)

// Sample returns testdata/sample.ts (10 s of H.264 with 1 s GOPs and AAC)
// decoded once per test binary. It is shared; do not change it.
func Sample(tb testing.TB) *push.Media {
	tb.Helper()
	mu.Lock()
	defer mu.Unlock()
	return sampleLocked(tb)
}

func sampleLocked(tb testing.TB) *push.Media {
	tb.Helper()
	if sample == nil {
		m, err := push.LoadTS(samplePath())
		if err != nil {
			tb.Fatal(err)
		}
		sample = m
	}
	return sample
}

// Recorded returns the sample published publishes times over, each publish a reconnect
// of the same stream half a second after the previous one ended. Recordings
// are made once per test binary and shared; do not change them.
func Recorded(tb testing.TB, publishes int) *Recording {
	tb.Helper()
	mu.Lock()
	defer mu.Unlock()
	if r, ok := recordings[publishes]; ok {
		return r
	}
	r := record(tb, sampleLocked(tb), publishes)
	recordings[publishes] = r
	return r
}

func samplePath() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata", "sample.ts")
}

func record(tb testing.TB, m *push.Media, publishes int) *Recording {
	frames := m.Stamped(Wall)
	var clipLen time.Duration
	for _, f := range frames {
		clipLen = max(clipLen, f.DTS)
	}
	clipLen += time.Second / 30
	src := packager.NewStream("src", packager.DefaultConfig())
	for p := 0; p < publishes; p++ {
		sess, err := src.Publish(m.Tracks)
		if err != nil {
			tb.Fatal(err)
		}
		for _, f := range frames {
			f.Received = f.Received.Add(time.Duration(p) * (clipLen + 500*time.Millisecond))
			if err := sess.WriteFrame(f); err != nil {
				tb.Fatal(err)
			}
		}
		sess.Close()
	}
	rename := map[string]string{}
	rec := &Recording{Config: src.Window().Config()}
	rec.Config.Span = time.Hour
	for _, tr := range src.Window().Tracks() {
		var last *window.Init
		for _, s := range tr.Segments() {
			data, _ := s.Bytes(0)
			for _, ch := range s.Chunks(0) {
				ev := Event{Track: tr.ID(), Meta: ch.ChunkMeta, Data: data[ch.Offset : ch.Offset+ch.Size]}
				if s.Init != last {
					last = s.Init
					if _, ok := rename[s.Init.Epoch]; !ok {
						rename[s.Init.Epoch] = Epochs[len(rename)]
					}
					in := *s.Init
					in.Epoch = rename[s.Init.Epoch]
					ev.Init = &in
				}
				rec.Events = append(rec.Events, ev)
			}
		}
	}
	sort.SliceStable(rec.Events, func(i, j int) bool {
		a, b := rec.Events[i].Meta.Wallclock, rec.Events[j].Meta.Wallclock
		if !a.Equal(b) {
			return a.Before(b)
		}
		return rec.Events[i].Track < rec.Events[j].Track
	})
	return rec
}

// Replay writes the events made before Wall+cut (all when cut is zero) into
// a fresh window, as an edge receiving the feed would.
func (r *Recording) Replay(tb testing.TB, cut time.Duration) *window.Stream {
	tb.Helper()
	return r.replay(tb, func(ev Event) bool {
		return cut > 0 && !ev.Meta.Wallclock.Before(Wall.Add(cut))
	}, false)
}

// ReplayUntil writes events into a fresh window up to and including the
// first for which stop reports true.
func (r *Recording) ReplayUntil(tb testing.TB, stop func(Event) bool) *window.Stream {
	tb.Helper()
	return r.replay(tb, stop, true)
}

func (r *Recording) replay(tb testing.TB, stop func(Event) bool, inclusive bool) *window.Stream {
	tb.Helper()
	st := window.NewStream("live", r.Config)
	for _, ev := range r.Events {
		halt := stop(ev)
		if halt && !inclusive {
			break
		}
		tr, _ := st.Track(ev.Track, true)
		if ev.Init != nil {
			tr.SetInit(ev.Init)
		}
		if err := tr.Append(ev.Meta, ev.Data); err != nil {
			tb.Fatal(err)
		}
		if halt {
			break
		}
	}
	return st
}

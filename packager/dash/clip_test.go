package dash

import (
	"os"
	"os/exec"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/livetree/livetree/bench/push"
	"github.com/livetree/livetree/packager"
	"github.com/livetree/livetree/packager/window"
)

// baseWall is the ingest wall clock of the sample's first frame, fixed so
// that playlists are byte-for-byte reproducible.
var baseWall = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// needTool returns the path of an external tool. Outside CI a missing tool
// skips the test; in CI it fails it.
func needTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required in CI: %v", name, err)
		}
		t.Skipf("%s not installed", name)
	}
	return p
}

// clip is the sample's access units as a publisher delivers them.
type clip struct {
	tracks packager.Tracks
	frames []packager.Frame
}

var (
	sampleOnce sync.Once
	sample     *clip
	sampleErr  error
)

// loadSample reads testdata/sample.ts (10 s of H.264 with 1 s GOPs and
// AAC) into frames whose Received clock starts at baseWall.
func loadSample(t testing.TB) *clip {
	t.Helper()
	sampleOnce.Do(func() { sample, sampleErr = readTS("../../testdata/sample.ts") })
	if sampleErr != nil {
		t.Fatal(sampleErr)
	}
	return sample
}

func readTS(path string) (*clip, error) {
	m, err := push.LoadTS(path)
	if err != nil {
		return nil, err
	}
	return &clip{tracks: m.Tracks, frames: m.Stamped(baseWall)}, nil
}

// event is one step of a recorded stream: a chunk of a track, preceded by
// a new init segment when the chunk starts a new publish.
type event struct {
	track int
	init  *window.Init // non-nil when the chunk is the first of a publish
	meta  window.ChunkMeta
	data  []byte
}

// recording is a stream packaged once by the real packager, replayable
// into fresh windows up to any chunk with fixed epochs.
type recording struct {
	cfg    window.Config
	events []event
}

// record packages the sample publishes times over, each publish a
// reconnect of the same stream, and renames epochs to epochs[i].
func record(t testing.TB, publishes int, epochs ...string) *recording {
	t.Helper()
	c := loadSample(t)
	cfg := packager.DefaultConfig()
	src := packager.NewStream("src", cfg)
	var clipLen time.Duration
	for _, f := range c.frames {
		clipLen = max(clipLen, f.Received.Sub(baseWall))
	}
	clipLen += time.Second / 30
	for p := 0; p < publishes; p++ {
		sess, err := src.Publish(c.tracks)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range c.frames {
			f.Received = f.Received.Add(time.Duration(p) * (clipLen + 500*time.Millisecond))
			if err := sess.WriteFrame(f); err != nil {
				t.Fatal(err)
			}
		}
		sess.Close()
	}
	rename := map[string]string{}
	rec := &recording{cfg: src.Window().Config()}
	rec.cfg.Span = time.Hour
	for _, tr := range src.Window().Tracks() {
		var last *window.Init
		for _, s := range tr.Segments() {
			data, _ := s.Bytes(0)
			for _, ch := range s.Chunks(0) {
				ev := event{track: tr.ID(), meta: ch.ChunkMeta, data: data[ch.Offset : ch.Offset+ch.Size]}
				if s.Init != last {
					last = s.Init
					if _, ok := rename[s.Init.Epoch]; !ok {
						rename[s.Init.Epoch] = epochs[len(rename)]
					}
					in := *s.Init
					in.Epoch = rename[s.Init.Epoch]
					ev.init = &in
				}
				rec.events = append(rec.events, ev)
			}
		}
	}
	sort.SliceStable(rec.events, func(i, j int) bool {
		a, b := rec.events[i].meta.Wallclock, rec.events[j].meta.Wallclock
		if !a.Equal(b) {
			return a.Before(b)
		}
		return rec.events[i].track < rec.events[j].track
	})
	return rec
}

// replay writes the events whose wall clock is before cut (all when cut is
// zero) into a fresh window, as an edge receiving the feed would.
func (rec *recording) replay(t testing.TB, cut time.Duration) *window.Stream {
	t.Helper()
	st := window.NewStream("live", rec.cfg)
	for _, ev := range rec.events {
		if cut > 0 && !ev.meta.Wallclock.Before(baseWall.Add(cut)) {
			break
		}
		tr, _ := st.Track(ev.track, true)
		if ev.init != nil {
			tr.SetInit(ev.init)
		}
		if err := tr.Append(ev.meta, ev.data); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

// shared recordings, made once per test binary.
var (
	recMu   sync.Mutex
	records = map[int]*recording{}
)

func recorded(t testing.TB, publishes int) *recording {
	t.Helper()
	recMu.Lock()
	defer recMu.Unlock()
	if r, ok := records[publishes]; ok {
		return r
	}
	r := record(t, publishes, "aaaaaaaa", "bbbbbbbb", "cccccccc")
	records[publishes] = r
	return r
}

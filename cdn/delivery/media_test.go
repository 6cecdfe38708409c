package delivery

import (
	"os"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/livetree/livetree/bench/push"
	"github.com/livetree/livetree/packager"
	"github.com/livetree/livetree/packager/window"
)

// clip is the sample's access units, as an ingest would hand them to the
// packager, ordered by decode time.
type clip struct {
	tracks packager.Tracks
	frames []packager.Frame
	span   time.Duration // from the first frame's DTS to the end of the last video frame
}

var (
	sampleOnce sync.Once
	sampleClip *clip
	sampleErr  string
)

// sample reads testdata/sample.ts once.
func sample(t testing.TB) *clip {
	t.Helper()
	sampleOnce.Do(func() {
		data, err := os.ReadFile("../../testdata/sample.ts")
		if err != nil {
			sampleErr = err.Error()
			return
		}
		sampleClip, sampleErr = readTS(data)
	})
	if sampleClip == nil {
		t.Fatalf("sample.ts: %s", sampleErr)
	}
	return sampleClip
}

func readTS(data []byte) (*clip, string) {
	m, err := push.ParseTS(data)
	if err != nil {
		return nil, err.Error()
	}
	if m.Tracks.Audio == nil {
		return nil, "clip lacks a track"
	}
	c := &clip{tracks: m.Tracks, frames: slices.Clone(m.Frames), span: m.Duration}
	sort.SliceStable(c.frames, func(i, j int) bool { return c.frames[i].DTS < c.frames[j].DTS })
	return c, ""
}

// live is a stream the real packager fills from the sample in real time,
// looping it with continuous timestamps.
type live struct {
	ps  *packager.Stream
	win *window.Stream

	mu     sync.Mutex // guards paused
	paused chan struct{}

	prefilled chan struct{} // closed once the prefill is written
	stop      chan struct{}
	done      chan struct{}
	err       error // set before done closes
}

// liveConfig is the packager configuration of live streams in tests:
// 1 s segments of 200 ms parts, one frame per chunk.
func liveConfig() packager.Config { return packager.DefaultConfig() }

// startLive publishes the sample as stream name into streams. The first
// prefill of media is written at once, stamped as if it had arrived in real
// time before now; the rest comes at the pace of its timestamps.
func startLive(t testing.TB, streams *window.Streams, name string, cfg packager.Config, prefill time.Duration) *live {
	t.Helper()
	c := sample(t)
	ps := packager.NewStream(name, cfg)
	sess, err := ps.Publish(c.tracks)
	if err != nil {
		t.Fatal(err)
	}
	l := &live{ps: ps, win: ps.Window(), prefilled: make(chan struct{}), stop: make(chan struct{}), done: make(chan struct{})}
	streams.Add(l.win)
	go l.feed(c, sess, prefill)
	t.Cleanup(l.close)
	select {
	case <-l.prefilled:
	case <-l.done:
		t.Fatalf("feed: %v", l.err)
	}
	return l
}

func (l *live) feed(c *clip, sess *packager.Session, prefill time.Duration) {
	defer close(l.done)
	t0 := time.Now().Add(-prefill)
	first := c.frames[0].DTS
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	prefilled := false
	for loop := time.Duration(0); ; loop++ {
		shift := loop * c.span
		for _, f := range c.frames {
			at := f.DTS - first + shift
			if d := time.Until(t0.Add(at)); d > 0 {
				if !prefilled {
					prefilled = true
					close(l.prefilled)
				}
				timer.Reset(d)
				select {
				case <-timer.C:
				case <-l.stop:
					return
				}
			}
			if p := l.pausedCh(); p != nil {
				began := time.Now()
				select {
				case <-p:
				case <-l.stop:
					return
				}
				t0 = t0.Add(time.Since(began))
			}
			f.DTS += shift
			f.PTS += shift
			f.Received = time.Now()
			if wall := t0.Add(at); wall.Before(f.Received) {
				f.Received = wall // prefilled: as if it had come in time
			}
			if err := sess.WriteFrame(f); err != nil {
				l.err = err
				return
			}
		}
	}
}

func (l *live) pausedCh() chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.paused
}

// pause stops feeding frames for good; the stream stalls.
func (l *live) pause() {
	l.mu.Lock()
	if l.paused == nil {
		l.paused = make(chan struct{})
	}
	l.mu.Unlock()
}

// end stops the feed and ends the stream.
func (l *live) end() {
	l.close()
	l.ps.End()
}

func (l *live) close() {
	select {
	case <-l.stop:
	default:
		close(l.stop)
	}
	<-l.done
}

// recording is the packager's output for the whole sample, chunk by chunk,
// to replay into a window at any pace.
type recording struct {
	inits  map[int]*window.Init
	chunks []recChunk
}

type recChunk struct {
	track int
	meta  window.ChunkMeta
	data  []byte
}

var (
	recOnce sync.Once
	rec     *recording
)

// record packages the sample once, as fast as it goes.
func record(t testing.TB) *recording {
	t.Helper()
	c := sample(t)
	recOnce.Do(func() {
		ps := packager.NewStream("rec", liveConfig())
		sess, err := ps.Publish(c.tracks)
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		for _, f := range c.frames {
			f.Received = now.Add(f.DTS)
			if err := sess.WriteFrame(f); err != nil {
				t.Fatal(err)
			}
		}
		ps.End()
		r := &recording{inits: map[int]*window.Init{}}
		type at struct {
			c  recChunk
			ts time.Time
		}
		var all []at
		for _, tr := range ps.Window().Tracks() {
			r.inits[tr.ID()] = tr.Init()
			for _, s := range tr.Segments() {
				data, _ := s.Bytes(0)
				for _, ch := range s.Chunks(0) {
					all = append(all, at{recChunk{tr.ID(), ch.ChunkMeta, data[ch.Offset : ch.Offset+ch.Size]}, ch.Wallclock})
				}
			}
		}
		sort.SliceStable(all, func(i, j int) bool { return all[i].ts.Before(all[j].ts) })
		for _, a := range all {
			r.chunks = append(r.chunks, a.c)
		}
		rec = r
	})
	if rec == nil {
		t.Fatal("recording failed")
	}
	return rec
}

// replayWindow returns a stream holding the recording's init segments, for
// a test to append chunks to with play.
func (r *recording) window(name string) *window.Stream {
	st := window.NewStream(name, window.Config{SegmentTarget: time.Second, PartTarget: 200 * time.Millisecond, Span: time.Minute})
	for id := 1; id <= 2; id++ {
		tr, _ := st.Track(id, true)
		tr.SetInit(r.inits[id])
	}
	return st
}

// play appends chunks [from, to) of the recording to st.
func (r *recording) play(t testing.TB, st *window.Stream, from, to int) {
	t.Helper()
	for _, c := range r.chunks[from:to] {
		tr, _ := st.Track(c.track, false)
		if err := tr.Append(c.meta, c.data); err != nil {
			t.Fatalf("append chunk: %v", err)
		}
	}
}

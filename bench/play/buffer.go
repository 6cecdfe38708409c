package play

import (
	"sync"
	"time"
)

// Buffer models a player's playback buffer: playback starts once
// StartAfter of media is buffered on every track, the playhead then moves
// in real time, and when it reaches the end of what is buffered playback
// stalls until StartAfter is buffered again. Every method takes the
// current time, so a test drives it with a fake clock.
//
// Media is counted by duration, appended per track: the model knows how
// much of each track is buffered, not which media it is, so a track that
// skips ahead after falling out of the window must call Flush.
type Buffer struct {
	startAfter time.Duration

	mu       sync.Mutex      // guards the fields below
	ends     []time.Duration // buffered media per track, from the start
	playhead time.Duration   // media played so far
	last     time.Time       // when the playhead was last moved
	playing  bool
	started  time.Time // when playback first began; zero before
	stallAt  time.Time // when the current stall began, while stalled
	stalls   int
	stalled  time.Duration // completed stalls
	finished bool

	// onStart, if set, is called when playback first begins; onStall when
	// a stall ends, with its length. Both run under mu.
	onStart func(now time.Time)
	onStall func(d time.Duration)
}

// NewBuffer returns a buffer for tracks tracks that starts playback once
// startAfter of media is buffered on each.
func NewBuffer(tracks int, startAfter time.Duration) *Buffer {
	return &Buffer{startAfter: startAfter, ends: make([]time.Duration, tracks)}
}

// level returns how much media is buffered ahead of the playhead on the
// track with the least.
func (b *Buffer) level() time.Duration {
	end := b.ends[0]
	for _, e := range b.ends[1:] {
		end = min(end, e)
	}
	return end - b.playhead
}

// advance moves the playhead to now; reaching the end of the buffer stalls
// at the instant it ran dry.
func (b *Buffer) advance(now time.Time) {
	if !b.playing || b.finished {
		return
	}
	elapsed := now.Sub(b.last)
	if elapsed <= 0 {
		return
	}
	if lv := b.level(); elapsed >= lv {
		b.playhead += lv
		b.playing = false
		b.stallAt = b.last.Add(lv)
		b.stalls++
	} else {
		b.playhead += elapsed
	}
	b.last = now
}

// Add appends d of media to track at now and starts or resumes playback
// when enough is buffered. It returns how far ahead of the playhead the
// added media starts, which maps the media's wall clock to the playhead's.
func (b *Buffer) Add(now time.Time, track int, d time.Duration) (ahead time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.advance(now)
	ahead = b.ends[track] - b.playhead
	b.ends[track] += d
	if !b.playing && !b.finished && b.level() >= b.startAfter {
		if b.started.IsZero() {
			b.started = now
			if b.onStart != nil {
				b.onStart(now)
			}
		} else {
			b.endStall(now)
		}
		b.playing = true
		b.last = now
	}
	return ahead
}

// endStall ends the current stall at now.
func (b *Buffer) endStall(now time.Time) {
	d := now.Sub(b.stallAt)
	b.stalled += d
	if b.onStall != nil {
		b.onStall(d)
	}
}

// Seek places the playhead behind into what track will receive next: a
// player that must start from an independent part before the position it
// wants fetches that media but does not play it. Call it before the
// track's first Add after the start or a Flush.
func (b *Buffer) Seek(now time.Time, track int, behind time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.advance(now)
	b.ends[track] = min(b.ends[track], b.playhead) - behind
}

// Flush drops what is buffered, as a player does when it jumps to a new
// position; a playing buffer stalls until it is refilled.
func (b *Buffer) Flush(now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.advance(now)
	for i := range b.ends {
		b.ends[i] = b.playhead
	}
	if b.playing {
		b.playing = false
		b.stallAt = now
		b.stalls++
	}
}

// Playing reports whether playback is running at now.
func (b *Buffer) Playing(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.advance(now)
	return b.playing
}

// Level returns the media buffered ahead of the playhead at now.
func (b *Buffer) Level(now time.Time) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.advance(now)
	return b.level()
}

// PlayStats is what a buffer recorded.
type PlayStats struct {
	// Started is when playback first began; zero if it never did.
	Started time.Time
	// Watched is the time from Started to the end: playing plus stalled.
	Watched time.Duration
	// Stalls counts the times playback ran dry after it had started.
	Stalls int
	// Stalled is the total time spent stalled, including a stall still
	// going on at the end.
	Stalled time.Duration
}

// Finish stops the model at now and returns its statistics; later calls
// return the same.
func (b *Buffer) Finish(now time.Time) PlayStats {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.finished {
		b.advance(now)
		if !b.started.IsZero() && !b.playing {
			b.endStall(now)
		}
		b.finished = true
		b.last = now
	}
	st := PlayStats{Started: b.started, Stalls: b.stalls, Stalled: b.stalled}
	if !b.started.IsZero() {
		st.Watched = b.last.Sub(b.started)
	}
	return st
}

// State reports at now whether playback has started and whether it is
// running.
func (b *Buffer) State(now time.Time) (started, playing bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.advance(now)
	return !b.started.IsZero(), b.playing
}

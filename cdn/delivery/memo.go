package delivery

import (
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"

	"github.com/livetree/livetree/packager/hls"
	"github.com/livetree/livetree/packager/window"
)

// memos holds, for each stream, what its requests would otherwise each work
// out again at every version of the stream: the target duration, whether
// it ended, and the media playlists last rendered. Thousands of requests
// woken by one change then read them without a lock; the renderer's own
// cache takes a renderer-wide mutex and reads the clock on every call.
type memos struct {
	m    sync.Map // *window.Stream → *memo
	seed maphash.Seed
}

// memo is one stream's entry: the state of its newest version seen.
type memo struct{ state atomic.Pointer[memoState] }

// memoState is what holds for one version of a stream, and for any later
// one a request may see while it is filed: a state is found by the
// version a request reads, so what it shows is never older than that
// version.
type memoState struct {
	version uint64
	target  time.Duration // the longest target duration of the stream's media playlists
	ended   bool
	media   [memoSlots]atomic.Pointer[memoBody]
}

// memoSlots is how many media playlists a state keeps: enough for every
// track in each form (delta update, byte ranges) without a token. Bodies
// with tokens share the slots, and one evicts another.
const memoSlots = 16

// memoBody is a rendered media playlist and what it was rendered for.
type memoBody struct {
	key  mediaKey
	body []byte
}

type mediaKey struct {
	track     int
	skip      bool
	byteRange bool
	query     string
}

// state returns what holds for st at its current version or later.
func (ms *memos) state(st *window.Stream) *memoState {
	v := st.Version()
	e, ok := ms.m.Load(st)
	if !ok {
		e, _ = ms.m.LoadOrStore(st, &memo{})
	}
	m := e.(*memo)
	old := m.state.Load()
	if old != nil && old.version >= v {
		return old
	}
	// State read after the version: it is at least as new.
	s := &memoState{version: v, target: targetDuration(st), ended: st.Ended()}
	for old == nil || old.version < v {
		if m.state.CompareAndSwap(old, s) {
			break
		}
		old = m.state.Load()
	}
	return s
}

// forget drops st's entry.
func (ms *memos) forget(st *window.Stream) { ms.m.Delete(st) }

// media returns tr's media playlist for req, rendered at most once per
// version of the stream for each form and query.
func (h *Handler) media(s *memoState, st *window.Stream, tr *window.Track, req hls.Request) []byte {
	k := mediaKey{track: tr.ID(), skip: req.Skip, byteRange: req.ByteRange, query: req.Query}
	i := uint64(k.track)<<2 | boolBit(k.skip)<<1 | boolBit(k.byteRange)
	if k.query != "" {
		i ^= maphash.String(h.memos.seed, k.query)
	}
	slot := &s.media[i%memoSlots]
	if b := slot.Load(); b != nil && b.key == k {
		return b.body
	}
	body := h.hls.Media(st, tr, req)
	slot.Store(&memoBody{key: k, body: body})
	return body
}

func boolBit(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

package ingest

import (
	"errors"
	"sync"
	"testing"
	"time"
)

// fakeWindows records what a registry opens and drops.
type fakeWindows struct {
	mu      sync.Mutex // guards everything below
	opened  map[string][]*fakeStream
	visible map[string]*fakeStream
}

func newFakeWindows() *fakeWindows {
	return &fakeWindows{opened: map[string][]*fakeStream{}, visible: map[string]*fakeStream{}}
}

func (w *fakeWindows) open(name string) liveStream {
	w.mu.Lock()
	defer w.mu.Unlock()
	st := &fakeStream{}
	w.opened[name] = append(w.opened[name], st)
	w.visible[name] = st
	return st
}

func (w *fakeWindows) drop(name string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.visible, name)
}

func (w *fakeWindows) state(name string) (opened int, visible bool, last *fakeStream) {
	w.mu.Lock()
	defer w.mu.Unlock()
	_, visible = w.visible[name]
	if n := len(w.opened[name]); n > 0 {
		last = w.opened[name][n-1]
	}
	return len(w.opened[name]), visible, last
}

func TestRegistryOnePublisherPerName(t *testing.T) {
	w := newFakeWindows()
	r := newRegistry(time.Hour, time.Hour, 2, w.open, w.drop)
	defer r.close()
	a, err := r.acquire("a")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.acquire("a"); !errors.Is(err, ErrBusy) {
		t.Fatalf("second publisher: %v, want ErrBusy", err)
	}
	if _, err := r.acquire("b"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.acquire("c"); !errors.Is(err, ErrTooManyPublishers) {
		t.Fatalf("third publisher: %v, want ErrTooManyPublishers", err)
	}
	a.release()
	a.release() // idempotent
	if got := r.activePublishers(); got != 1 {
		t.Fatalf("%d active, want 1", got)
	}
	a2, err := r.acquire("a")
	if err != nil {
		t.Fatalf("republish: %v", err)
	}
	if a2.stream != a.stream {
		t.Error("republish within linger got a new stream")
	}
	if n, _, _ := w.state("a"); n != 1 {
		t.Errorf("opened %d streams for a, want 1", n)
	}
}

func TestRegistryLingerEndsAndRemoves(t *testing.T) {
	w := newFakeWindows()
	r := newRegistry(50*time.Millisecond, 100*time.Millisecond, 10, w.open, w.drop)
	defer r.close()
	l, err := r.acquire("s")
	if err != nil {
		t.Fatal(err)
	}
	l.release()
	_, _, st := w.state("s")
	waitFor(t, 2*time.Second, "End after linger", func() bool {
		_, _, _, ended := st.snapshot()
		return ended
	})
	if _, visible, _ := w.state("s"); !visible {
		t.Fatal("stream removed before its window played out")
	}
	waitFor(t, 2*time.Second, "removal", func() bool {
		_, visible, _ := w.state("s")
		return !visible
	})
	if _, err := r.acquire("s"); err != nil {
		t.Fatal(err)
	}
	if n, visible, _ := w.state("s"); n != 2 || !visible {
		t.Errorf("after removal: opened %d, visible %v; want a second, visible stream", n, visible)
	}
}

func TestRegistryRepublishCancelsLinger(t *testing.T) {
	w := newFakeWindows()
	r := newRegistry(80*time.Millisecond, time.Hour, 10, w.open, w.drop)
	defer r.close()
	l, _ := r.acquire("s")
	l.release()
	l2, err := r.acquire("s")
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	_, _, st := w.state("s")
	if _, _, _, ended := st.snapshot(); ended {
		t.Fatal("stream ended although its publisher came back")
	}
	l2.release()
}

func TestRegistryRepublishAfterEnd(t *testing.T) {
	w := newFakeWindows()
	r := newRegistry(10*time.Millisecond, time.Hour, 10, w.open, w.drop)
	defer r.close()
	l, _ := r.acquire("s")
	l.release()
	_, _, first := w.state("s")
	waitFor(t, 2*time.Second, "End", func() bool { _, _, _, e := first.snapshot(); return e })
	if _, err := r.acquire("s"); err != nil {
		t.Fatal(err)
	}
	n, visible, last := w.state("s")
	if n != 2 || !visible || last == first {
		t.Fatalf("a publisher after End must get a new stream: opened %d visible %v", n, visible)
	}
}

func TestRegistryClose(t *testing.T) {
	w := newFakeWindows()
	r := newRegistry(time.Hour, time.Hour, 10, w.open, w.drop)
	l, _ := r.acquire("s")
	r.close()
	if _, err := r.acquire("t"); !errors.Is(err, ErrShutdown) {
		t.Fatalf("acquire after close: %v", err)
	}
	l.release()
	_, _, st := w.state("s")
	if _, _, _, ended := st.snapshot(); !ended {
		t.Error("close did not end the stream")
	}
}

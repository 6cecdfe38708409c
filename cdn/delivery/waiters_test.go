package delivery

import (
	"testing"
	"time"
)

// TestWaiterDeadlines checks that the lot wakes each waiter at its own
// deadline, including one that joins later with an earlier deadline, and
// that a waiter that leaves is never woken.
func TestWaiterDeadlines(t *testing.T) {
	r := record(t)
	st := r.window("d")
	r.play(t, st, 0, len(r.chunks)/2)
	ws := newWaiters()
	defer ws.close()
	tr, _ := st.Track(1, false)
	last, _ := tr.Last()
	never := cond{kind: condObject, track: tr.ID(), msn: int64(last.MSN) + 100}

	start := time.Now()
	var l *lot
	join := func(after time.Duration) *waiter {
		wt := newWaiter()
		wt.deadline = start.Add(after)
		if l = ws.join(st, never, wt); l == nil {
			t.Fatal("waiters closed")
		}
		return wt
	}
	late := join(time.Second)
	gone := join(50 * time.Millisecond)
	early := join(100 * time.Millisecond)
	ws.leave(l, gone, never)

	select {
	case <-early.wake:
	case <-time.After(5 * time.Second):
		t.Fatal("the early waiter was not woken")
	}
	if took := time.Since(start); !early.expired || took < 100*time.Millisecond || took > 900*time.Millisecond {
		t.Fatalf("early waiter: expired %v after %v", early.expired, took)
	}
	select {
	case <-late.wake:
	case <-time.After(5 * time.Second):
		t.Fatal("the late waiter was not woken")
	}
	if took := time.Since(start); !late.expired || took < time.Second {
		t.Fatalf("late waiter: expired %v after %v", late.expired, took)
	}
	select {
	case <-gone.wake:
		t.Fatal("a waiter that left was woken")
	default:
	}
}

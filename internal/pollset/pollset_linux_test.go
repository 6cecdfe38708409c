package pollset

import (
	"errors"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// pair returns a connected socket pair, closed when the test ends.
func pair(t *testing.T) (a, b int) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fds[0]); unix.Close(fds[1]) })
	return fds[0], fds[1]
}

func TestWaitReadyDeadlineClose(t *testing.T) {
	s, err := New("test", 1)
	if err != nil {
		t.Fatal(err)
	}
	a1, b1 := pair(t)
	a2, b2 := pair(t)
	for i, fd := range []int{a1, a2} {
		if err := s.Ctl(unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(i)}); err != nil {
			t.Fatal(err)
		}
	}

	// Nothing ready: the wait parks until the deadline.
	if err := s.SetDeadline(time.Now().Add(30 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Wait(); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("empty set: %v", err)
	}
	_ = s.SetDeadline(time.Time{})

	// A write from another goroutine wakes a parked wait.
	time.AfterFunc(20*time.Millisecond, func() { unix.Write(b1, []byte("x")) })
	evs, err := s.Wait()
	if err != nil || len(evs) != 1 || evs[0].Fd != 0 {
		t.Fatalf("woken with %v, %v", evs, err)
	}
	if !s.Full(evs) {
		t.Fatal("a batch of the set's size is not full")
	}
	// Both ready: a batch of one leaves the other to Ready.
	unix.Write(b2, []byte("y"))
	seen := map[int32]bool{}
	for range 4 {
		evs, err := s.Ready()
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs {
			seen[ev.Fd] = true
		}
		var buf [1]byte
		unix.Read(a1, buf[:])
		if len(seen) == 2 {
			break
		}
	}
	if len(seen) != 2 {
		t.Fatalf("ready: %v", seen)
	}
	var buf [1]byte
	unix.Read(a2, buf[:])

	// Close ends a parked wait.
	done := make(chan error, 1)
	go func() { _, err := s.Wait(); done <- err }()
	time.Sleep(20 * time.Millisecond)
	s.Close()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("a wait on a closed set returned no error")
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Close did not end the wait")
	}
}

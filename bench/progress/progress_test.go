package progress

import (
	"bytes"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the progress goroutine and the
// test to share.
type syncBuffer struct {
	mu  sync.Mutex // guards buf
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestProgress(t *testing.T) {
	for _, tc := range []struct {
		name string
		tty  bool
	}{
		{"terminal redraws in place", true},
		{"log prints lines", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf syncBuffer
			var n atomic.Int64
			p := start(&buf, 5*time.Millisecond, tc.tty)
			p.Update(func() string {
				k := n.Add(1)
				if k == 1 {
					return "a much longer first line"
				}
				return "tick"
			})
			deadline := time.Now().Add(5 * time.Second)
			for n.Load() < 3 && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			p.Stop()
			p.Stop() // a second Stop is harmless
			out := buf.String()
			if n.Load() < 3 {
				t.Fatalf("line rendered %d times", n.Load())
			}
			if !strings.HasSuffix(out, "tick\n") && !strings.HasSuffix(strings.TrimRight(out, " \n"), "tick") {
				t.Errorf("output does not end with the final line: %q", out)
			}
			if tc.tty {
				if strings.Count(out, "\n") != 1 || !strings.HasPrefix(out, "\ra much longer first line") {
					t.Errorf("terminal output %q: want one line redrawn with \\r", out)
				}
				// The second draw pads over the longer first line.
				if !strings.Contains(out, "\rtick"+strings.Repeat(" ", len("a much longer first line")-4)) {
					t.Errorf("no padding over the previous line: %q", out)
				}
			} else {
				if strings.Contains(out, "\r") || strings.Count(out, "\n") < 3 {
					t.Errorf("log output %q: want plain lines", out)
				}
			}
			// Nothing is written after Stop returns.
			before := buf.String()
			time.Sleep(20 * time.Millisecond)
			if buf.String() != before {
				t.Error("output after Stop")
			}
		})
	}
}

func TestNoLineNoOutput(t *testing.T) {
	var buf syncBuffer
	p := start(&buf, time.Millisecond, false)
	time.Sleep(10 * time.Millisecond)
	p.Stop()
	if buf.String() != "" {
		t.Errorf("output without a line function: %q", buf.String())
	}
}

func TestNewOnNonTerminalSlowsDown(t *testing.T) {
	var buf syncBuffer
	p := New(&buf, time.Millisecond)
	defer p.Stop()
	if p.tty || p.interval != MinLogInterval {
		t.Errorf("tty %v, interval %v; want a log at %v", p.tty, p.interval, MinLogInterval)
	}
}

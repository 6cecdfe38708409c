package progress

import (
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// MinLogInterval is the shortest gap between two printed lines when the
// output is not a terminal, so a log is not flooded at the terminal's
// redraw rate.
const MinLogInterval = 5 * time.Second

// Progress owns one goroutine that prints the line returned by the
// function given to Update: redrawn in place every interval on a terminal,
// otherwise printed as its own line every max(interval, MinLogInterval).
// Stop ends the goroutine and prints the final line.
//
// The line function runs on Progress's goroutine, so it must read only
// what is safe to read concurrently (atomics, or state under its own
// lock).
type Progress struct {
	w        io.Writer
	tty      bool
	interval time.Duration

	mu      sync.Mutex // guards line, width and stopped
	line    func() string
	width   int // length of the last line drawn in place
	stopped bool

	stop chan struct{}
	done chan struct{}
}

// New starts a Progress writing to w. Whether w is a terminal decides
// between redrawing in place and printing lines.
func New(w io.Writer, interval time.Duration) *Progress {
	tty := isTerminal(w)
	if !tty {
		interval = max(interval, MinLogInterval)
	}
	return start(w, interval, tty)
}

func start(w io.Writer, interval time.Duration, tty bool) *Progress {
	if interval <= 0 {
		interval = time.Second
	}
	p := &Progress{w: w, tty: tty, interval: interval, stop: make(chan struct{}), done: make(chan struct{})}
	go p.run()
	return p
}

// Update sets the function that renders the status line.
func (p *Progress) Update(line func() string) {
	p.mu.Lock()
	p.line = line
	p.mu.Unlock()
}

// Stop prints the line one last time, ends the line, and waits for the
// goroutine to return. It is safe to call more than once.
func (p *Progress) Stop() {
	p.mu.Lock()
	if p.stopped {
		p.mu.Unlock()
		return
	}
	p.stopped = true
	p.mu.Unlock()
	close(p.stop)
	<-p.done
	p.draw(true)
}

func (p *Progress) run() {
	defer close(p.done)
	t := time.NewTicker(p.interval)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.draw(false)
		}
	}
}

// draw prints the current line; final ends it with a newline on a
// terminal.
func (p *Progress) draw(final bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.line == nil {
		return
	}
	s := strings.ReplaceAll(p.line(), "\n", " ")
	if !p.tty {
		io.WriteString(p.w, s+"\n")
		return
	}
	// Pad over what is left of a longer previous line rather than use an
	// escape sequence, so a terminal without ANSI support stays clean.
	pad := max(p.width-len(s), 0)
	p.width = len(s)
	out := "\r" + s + strings.Repeat(" ", pad)
	if final {
		out += "\n"
	}
	io.WriteString(p.w, out)
}

// isTerminal reports whether w is a character device such as a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

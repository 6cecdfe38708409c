//go:build linux

package arrival

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// Clients is a child process holding many connections to one server.
// Each round, it sends one request on every connection and reports when
// each response's last byte arrived and was read. A benchmark runs its
// clients apart so that the server's scheduler and file limit serve the
// server alone, as viewers on other machines would leave them: clients
// in the server's process hold a processor while they read, and can
// delay the server's own goroutines by a whole burst of responses.
//
// The child is the benchmark's own test binary, re-run with only a hook
// test that calls ServeChild:
//
//	func TestClientsChild(t *testing.T) { arrival.ServeChild() }
type Clients struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
}

// Wake is when one client's response arrived at its socket and when the
// client had read it, with the length of its body.
type Wake struct {
	Arrive, Read time.Time
	Body         int64
}

// childEnv carries the server's address and the number of connections to
// the child.
const childEnv = "LIVETREE_ARRIVAL_CLIENTS"

// StartClients re-runs this test binary as the child, running only the
// hook test named hook, and returns once it holds n connections to addr.
// The child reads every connection from one goroutine, so it runs with
// GOMAXPROCS=1 unless the environment sets it.
func StartClients(hook, addr string, n int) (*Clients, error) {
	cmd := exec.Command(os.Args[0], "-test.run=^"+hook+"$", "-test.bench=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+addr+" "+strconv.Itoa(n))
	if os.Getenv("GOMAXPROCS") == "" {
		cmd.Env = append(cmd.Env, "GOMAXPROCS=1")
	}
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &Clients{cmd: cmd, in: in, out: bufio.NewReaderSize(out, 1<<20)}
	line, err := c.line()
	if err == nil && line != "ready" {
		err = fmt.Errorf("arrival clients: %s", line)
	}
	if err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func (c *Clients) line() (string, error) {
	s, err := c.out.ReadString('\n')
	if err != nil {
		return "", fmt.Errorf("arrival clients: %w", err)
	}
	return strings.TrimSpace(s), nil
}

// Round has every client send a GET of target (a path and query).
func (c *Clients) Round(target string) error {
	_, err := fmt.Fprintln(c.in, target)
	return err
}

// Wait returns, for each client in order, when its response to the last
// round arrived and was read. A client that got no whole 200 answer fails
// the round.
func (c *Clients) Wait() ([]Wake, error) {
	line, err := c.line()
	if err != nil {
		return nil, err
	}
	fields := strings.Fields(line)
	if len(fields) == 0 || fields[0] != "done" || len(fields)%3 != 1 {
		return nil, fmt.Errorf("arrival clients: %.200s", line)
	}
	wakes := make([]Wake, 0, len(fields)/3)
	for i := 1; i < len(fields); i += 3 {
		a, err1 := strconv.ParseInt(fields[i], 10, 64)
		r, err2 := strconv.ParseInt(fields[i+1], 10, 64)
		n, err3 := strconv.ParseInt(fields[i+2], 10, 64)
		if err := errors.Join(err1, err2, err3); err != nil {
			return nil, fmt.Errorf("arrival clients: %w", err)
		}
		wakes = append(wakes, Wake{Arrive: time.Unix(0, a), Read: time.Unix(0, r), Body: n})
	}
	return wakes, nil
}

// Close ends the child and waits for it.
func (c *Clients) Close() error {
	c.in.Close()
	return c.cmd.Wait()
}

// ServeChild serves as the child StartClients started, if this process is
// one, and reports whether it was. It returns when the parent closes its
// input or a round fails; failures are reported to the parent.
func ServeChild() bool {
	spec := os.Getenv(childEnv)
	if spec == "" {
		return false
	}
	addr, count, _ := strings.Cut(spec, " ")
	n, _ := strconv.Atoi(count)
	if err := serveClients(addr, n, os.Stdin, os.Stdout); err != nil {
		fmt.Printf("failed: %v\n", err)
	}
	return true
}

func serveClients(addr string, n int, in io.Reader, out io.Writer) error {
	RaiseFileLimit()
	keep, err := Keep(time.Second)
	if err != nil {
		return fmt.Errorf("keep: %w", err)
	}
	defer keep.Close()
	set, err := NewSet(0)
	if err != nil {
		return fmt.Errorf("set: %w", err)
	}
	defer set.Close()
	for i := range n {
		if _, err := set.Dial(addr); err != nil {
			return fmt.Errorf("dial %d: %w", i, err)
		}
	}
	fmt.Fprintln(out, "ready")
	resps := make([]Response, n)
	var line []byte
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		req := []byte("GET " + sc.Text() + " HTTP/1.1\r\nHost: x\r\n\r\n")
		for id := range n {
			resps[id].Reset()
			if err := set.Write(id, req); err != nil {
				return fmt.Errorf("write %d: %w", id, err)
			}
		}
		left := n
		var failed error
		for left > 0 && failed == nil {
			err := set.Poll(time.Now().Add(time.Minute), func(id int, data []byte, at Stamp, err error) {
				if err == nil {
					var done bool
					done, _, err = resps[id].Feed(data, at)
					if done {
						left--
						if resps[id].Status != http.StatusOK || resps[id].Last.Last.IsZero() {
							err = fmt.Errorf("status %d, stamp %v", resps[id].Status, resps[id].Last.Last)
						}
					}
				}
				if err != nil {
					failed = fmt.Errorf("connection %d: %w", id, err)
				}
			})
			if err != nil {
				failed = err
			}
		}
		if failed != nil {
			return failed
		}
		line = append(line[:0], "done"...)
		for _, r := range resps {
			line = append(line, ' ')
			line = strconv.AppendInt(line, r.Last.Last.UnixNano(), 10)
			line = append(line, ' ')
			line = strconv.AppendInt(line, r.Last.Read.UnixNano(), 10)
			line = append(line, ' ')
			line = strconv.AppendInt(line, r.BodyLen, 10)
		}
		line = append(line, '\n')
		if _, err := out.Write(line); err != nil {
			return err
		}
	}
	return nil
}

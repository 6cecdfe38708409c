package cdn

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/livetree/livetree/packager/window"
)

// testConfig is a configuration for an edge in tests.
func testConfig(id, parent string, fallbacks ...string) Config {
	cfg := DefaultConfig()
	cfg.HTTP = "127.0.0.1:0"
	cfg.ID = id
	cfg.Parent = parent
	cfg.Fallbacks = fallbacks
	return cfg
}

// startEdge serves an edge on loopback until the test ends.
func startEdge(t testing.TB, cfg Config) (*Edge, string) {
	t.Helper()
	log := zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.InfoLevel)
	e, err := New(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("edge %s: %v", cfg.ID, err)
		}
	})
	return e, "http://" + ln.Addr().String()
}

// player is an LL-HLS client of one media playlist: it follows the
// playlist with blocking reloads, fetches every part as it is announced,
// and checks each against the origin's bytes and the part before it.
type player struct {
	t      testing.TB
	base   string // server under test
	org    *origin
	stream string
	kind   string

	mu     sync.Mutex // guards the fields below
	parts  int
	errs   []string
	last   window.ObjectName
	lastAt time.Time
	maxGap time.Duration // longest wait between two parts
	hops   map[string]int
}

func newPlayer(t testing.TB, base string, org *origin, stream string) *player {
	return &player{t: t, base: base, org: org, stream: stream, kind: "video", hops: make(map[string]int)}
}

func (p *player) fail(format string, args ...any) {
	p.mu.Lock()
	p.errs = append(p.errs, fmt.Sprintf(format, args...))
	p.mu.Unlock()
}

// run plays until ctx ends.
func (p *player) run(ctx context.Context) {
	url := p.base + "/live/" + p.stream + "/" + p.kind + ".m3u8"
	next := ""
	for ctx.Err() == nil {
		body, hop, status, err := fetchHop(ctx, url+next)
		if ctx.Err() != nil {
			return
		}
		if err != nil || status != http.StatusOK {
			p.fail("playlist %s: %d %v", next, status, err)
			time.Sleep(50 * time.Millisecond)
			continue
		}
		p.sawHop(hop)
		var newest window.ObjectName
		for _, line := range strings.Split(string(body), "\n") {
			uri, ok := partURI(line)
			if !ok {
				continue
			}
			n, err := window.ParseObjectName(uri)
			if err != nil {
				p.fail("part URI %q: %v", uri, err)
				continue
			}
			newest = n
			if p.seen(n) {
				continue
			}
			p.fetchPart(ctx, uri, n)
		}
		if newest.Type == 0 {
			p.fail("playlist without parts")
			time.Sleep(100 * time.Millisecond)
			continue
		}
		next = fmt.Sprintf("?_HLS_msn=%d&_HLS_part=%d", newest.MSN, newest.Part+1)
	}
}

func partURI(line string) (string, bool) {
	if !strings.HasPrefix(line, "#EXT-X-PART:") {
		return "", false
	}
	_, rest, ok := strings.Cut(line, `URI="`)
	if !ok {
		return "", false
	}
	uri, _, ok := strings.Cut(rest, `"`)
	return uri, ok
}

// seen reports whether n is at or before the last part fetched.
func (p *player) seen(n window.ObjectName) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	l := p.last
	return l.Type != 0 && (n.MSN < l.MSN || n.MSN == l.MSN && n.Part <= l.Part)
}

func (p *player) sawHop(hop string) {
	p.mu.Lock()
	p.hops[hop]++
	p.mu.Unlock()
}

// fetchPart fetches a part from the server and the origin, and checks
// that it follows the last part without a hole.
func (p *player) fetchPart(ctx context.Context, uri string, n window.ObjectName) {
	got, hop, status, err := fetchHop(ctx, p.base+"/live/"+p.stream+"/"+uri)
	if ctx.Err() != nil {
		return
	}
	if err != nil || status != http.StatusOK {
		p.fail("part %s: %d %v", uri, status, err)
		return
	}
	p.sawHop(hop)
	want, wstatus, err := fetch(p.org.url + "/live/" + p.stream + "/" + uri)
	if err != nil || wstatus != http.StatusOK {
		p.fail("origin part %s: %d %v", uri, wstatus, err)
	} else if !bytes.Equal(got, want) {
		p.fail("part %s: %d bytes differ from the origin's %d", uri, len(got), len(want))
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if l := p.last; l.Type != 0 {
		switch {
		case n.MSN == l.MSN && n.Part == l.Part+1:
		case n.MSN == l.MSN+1 && n.Part == 0:
			if parts := p.org.partsOf(p.kind, l.MSN); parts != l.Part+1 {
				p.errs = append(p.errs, fmt.Sprintf("part %s follows %s but segment %d has %d parts", n, l, l.MSN, parts))
			}
		default:
			p.errs = append(p.errs, fmt.Sprintf("part %s follows %s", n, l))
		}
		p.maxGap = max(p.maxGap, now.Sub(p.lastAt))
	}
	p.last, p.lastAt = n, now
	p.parts++
}

// check fails the test on any error the player met, and unless it played
// at least minParts parts.
func (p *player) check(t testing.TB, minParts int) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, e := range p.errs {
		t.Error(e)
	}
	if p.parts < minParts {
		t.Errorf("played %d parts, want at least %d", p.parts, minParts)
	}
	t.Logf("played %d parts, longest wait between two %v, hops %v", p.parts, p.maxGap, p.hops)
}

// partsOf returns how many parts the origin's segment has, or -1.
func (o *origin) partsOf(kind string, msn uint64) int {
	id, _ := window.TrackIDOf(kind)
	tr, ok := o.streams.Get("s").Track(id, false)
	if !ok {
		return -1
	}
	seg, ok := tr.Segment(msn)
	if !ok {
		return -1
	}
	return len(seg.Parts())
}

func fetchHop(ctx context.Context, url string) ([]byte, string, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, "", 0, err
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return nil, "", 0, err
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, err = b.ReadFrom(resp.Body)
	return b.Bytes(), resp.Header.Get(hopHeader), resp.StatusCode, err
}

// sameMedia fails unless every complete segment the edge holds is the
// origin's, byte for byte, with the same parts and init segment.
func sameMedia(t testing.TB, org, edge *window.Stream) {
	t.Helper()
	compared := 0
	for _, et := range edge.Tracks() {
		ot, ok := org.Track(et.ID(), false)
		if !ok {
			t.Fatalf("origin has no track %d", et.ID())
		}
		for _, es := range et.Segments() {
			os, ok := ot.Segment(es.MSN)
			if !ok || !es.Complete() {
				continue
			}
			eb, _ := es.Bytes(0)
			ob, _ := os.Bytes(0)
			if !bytes.Equal(eb, ob) || !bytes.Equal(es.Init.Data, os.Init.Data) || es.Init.Epoch != os.Init.Epoch {
				t.Errorf("track %d segment %d differs from the origin's", et.ID(), es.MSN)
			}
			ep, op := es.Parts(), os.Parts()
			if fmt.Sprint(ep) != fmt.Sprint(op) {
				t.Errorf("track %d segment %d: parts %v, origin %v", et.ID(), es.MSN, ep, op)
			}
			compared++
		}
	}
	if compared < 2 {
		t.Errorf("only %d segments compared", compared)
	}
}

// listenLine waits for an edge process's "listening" log line and returns
// its address.
func listenLine(t testing.TB, sc *bufio.Scanner) string {
	t.Helper()
	for sc.Scan() {
		line := sc.Text()
		if strings.Contains(line, `"message":"listening"`) {
			_, rest, _ := strings.Cut(line, `"addr":"`)
			addr, _, _ := strings.Cut(rest, `"`)
			return addr
		}
	}
	t.Fatalf("edge process exited before listening: %v", sc.Err())
	return ""
}

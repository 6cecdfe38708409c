package cdn

import (
	"bytes"
	"context"
	"net/http"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/livetree/livetree/internal/tooltest"
)

// TestTree runs origin → edge A → edge B: an LL-HLS player and ffmpeg on B
// play without error, every object B serves is the origin's, and the
// origin sees one feed, from A.
func TestTree(t *testing.T) {
	o := sharedOrigin(t)
	fromA, fromB := o.feedsFrom("A"), o.feedsFrom("B") // under -count, earlier runs' edges had the same ids
	a, aURL := startEdge(t, testConfig("A", o.url))
	b, bURL := startEdge(t, testConfig("B", aURL, o.url))

	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Second)
	defer cancel()
	pl := newPlayer(t, bURL, o, "s")
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		pl.run(ctx)
	}()

	ffmpeg := tooltest.Need(t, "ffmpeg")
	out, err := exec.CommandContext(ctx, ffmpeg, "-v", "error", "-i", bURL+"/live/s/index.m3u8",
		"-t", "4", "-f", "null", "-").CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("ffmpeg on B: %v\n%s", err, out)
	}
	cancel()
	wg.Wait()
	pl.check(t, 10)
	if pl.hops["B"] == 0 || len(pl.hops) != 1 {
		t.Errorf("X-Livetree-Hop seen %v, want only B", pl.hops)
	}

	// Every object in B's playlists, fetched from B, is the origin's.
	for _, kind := range []string{"video", "audio"} {
		pl, _, status, err := fetchHop(context.Background(), bURL+"/live/s/"+kind+".m3u8")
		if err != nil || status != http.StatusOK {
			t.Fatalf("%s playlist: %d %v", kind, status, err)
		}
		n := 0
		for _, uri := range objectURIs(pl) {
			got, _, status, err := fetchHop(context.Background(), bURL+"/live/s/"+uri)
			if err != nil || status != http.StatusOK {
				t.Errorf("B %s: %d %v", uri, status, err)
				continue
			}
			if !bytes.Equal(got, o.get(t, "/live/s/"+uri)) {
				t.Errorf("B %s differs from the origin's", uri)
			}
			n++
		}
		if n < 3 {
			t.Errorf("%s: compared %d objects", kind, n)
		}
	}
	sameMedia(t, o.streams.Get("s"), b.Streams().Get("s"))
	sameMedia(t, o.streams.Get("s"), a.Streams().Get("s"))

	if n := o.feedsFrom("A") - fromA; n != 1 {
		t.Errorf("origin served %d feeds to A, want 1", n)
	}
	if n := o.feedsFrom("B") - fromB; n != 0 {
		t.Errorf("origin served %d feeds to B, want 0", n)
	}
	if n := a.feedStats.Served.Load(); n != 1 {
		t.Errorf("A served %d feeds, want 1", n)
	}
}

// objectURIs returns the init, segment and part URIs of a media playlist.
func objectURIs(pl []byte) []string {
	var out []string
	for _, line := range bytes.Split(pl, []byte("\n")) {
		switch {
		case bytes.HasPrefix(line, []byte("#EXT-X-MAP:")), bytes.HasPrefix(line, []byte("#EXT-X-PART:")):
			_, rest, ok := bytes.Cut(line, []byte(`URI="`))
			if uri, _, ok2 := bytes.Cut(rest, []byte(`"`)); ok && ok2 {
				out = append(out, string(uri))
			}
		case len(line) > 0 && line[0] != '#':
			out = append(out, string(line))
		}
	}
	return out
}

// TestCoalesce sends 1,000 concurrent first requests for a stream to an
// edge whose parent is another edge: each tier opens exactly one upstream
// connection.
func TestCoalesce(t *testing.T) {
	o := sharedOrigin(t)
	// A thousand client goroutines arriving at once can starve the feeds
	// of CPU for longer than the default stall timeout (one part) under the
	// race detector; a stall would fail over and open a second upstream
	// connection, which is not what this test is about.
	cfgA, cfgB := testConfig("A2", o.url), testConfig("B2", "")
	cfgA.StallTimeout, cfgB.StallTimeout = 2*time.Second, 2*time.Second
	a, aURL := startEdge(t, cfgA)
	cfgB.Parent = aURL
	b, bURL := startEdge(t, cfgB)
	before, fromA := o.accepts.Load(), o.feedsFrom("A2")

	const viewers = 1000
	tr := &http.Transport{Proxy: nil, MaxIdleConnsPerHost: viewers}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	start := make(chan struct{})
	errs := make(chan error, viewers)
	var wg sync.WaitGroup
	for i := 0; i < viewers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			resp, err := client.Get(bURL + "/live/s/index.m3u8")
			if err != nil {
				errs <- err
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				errs <- &ParentError{Parent: "B2", Status: resp.StatusCode}
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := o.feedsFrom("A2") - fromA; n != 1 {
		t.Errorf("origin served %d feeds to A2, want 1", n)
	}
	if n := o.accepts.Load() - before; n != 1 {
		t.Errorf("origin accepted %d connections, want 1", n)
	}
	if n := a.feedStats.Served.Load(); n != 1 {
		t.Errorf("A2 served %d feeds, want 1", n)
	}
	if n := b.stats.PullsStarted.Load(); n != 1 {
		t.Errorf("B2 started %d pulls, want 1", n)
	}
	if n := b.stats.Upstreams.Load(); n != 1 {
		t.Errorf("B2 has %d upstream connections, want 1", n)
	}
}

package delivery

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestBlockingReload checks the LL-HLS blocking playlist reload rules
// against a stream the packager fills in real time.
func TestBlockingReload(t *testing.T) {
	f, _ := shared(t)
	url := f.base + "/live/s/video.m3u8"
	_, body := get(t, url)
	pl := parseMedia(t, body)
	last := pl.lastFull(t).MSN

	t.Run("bad directives", func(t *testing.T) {
		for _, q := range []string{
			"_HLS_part=1", "_HLS_msn=abc", "_HLS_msn=-1", "_HLS_msn=1&_HLS_part=x",
			"_HLS_msn=1&_HLS_part=-2", "_HLS_skip=maybe", "lt_byterange=2",
			fmt.Sprintf("_HLS_msn=%d", last+1000),
		} {
			t.Run(q, func(t *testing.T) {
				start := time.Now()
				resp, _ := get(t, url+"?"+q)
				if resp.StatusCode != http.StatusBadRequest {
					t.Fatalf("status %d, want 400", resp.StatusCode)
				}
				if d := time.Since(start); d > 500*time.Millisecond {
					t.Errorf("answered after %v, want at once", d)
				}
			})
		}
	})

	t.Run("old msn at once", func(t *testing.T) {
		start := time.Now()
		resp, body := get(t, fmt.Sprintf("%s?_HLS_msn=%d&_HLS_part=0", url, pl.segments[0].MSN))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
		if d := time.Since(start); d > 300*time.Millisecond {
			t.Errorf("answered after %v, want at once", d)
		}
		if got := parseMedia(t, body).lastFull(t).MSN; got < last {
			t.Errorf("playlist ends at %d, older than %d", got, last)
		}
	})

	t.Run("next part blocks until it is there", func(t *testing.T) {
		_, body := get(t, url)
		hint := parseMedia(t, body).hint
		start := time.Now()
		resp, body := get(t, fmt.Sprintf("%s?_HLS_msn=%d&_HLS_part=%d", url, hint.MSN, hint.Part))
		waited := time.Since(start)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
		if !parseMedia(t, body).hasPart(hint.MSN, hint.Part) {
			t.Fatalf("playlist lacks part %d.%d:\n%s", hint.MSN, hint.Part, body)
		}
		if waited > time.Second {
			t.Errorf("waited %v for a 200 ms part", waited)
		}
		if !strings.HasPrefix(resp.Header.Get("Server-Timing"), "block;dur=") {
			t.Errorf("Server-Timing %q", resp.Header.Get("Server-Timing"))
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "public, max-age=3" {
			t.Errorf("Cache-Control %q for a blocking response", cc)
		}
	})

	t.Run("part past a segment's end means the next segment's part 0", func(t *testing.T) {
		_, body := get(t, url)
		n := parseMedia(t, body).lastFull(t).MSN
		resp, body := get(t, fmt.Sprintf("%s?_HLS_msn=%d&_HLS_part=99", url, n))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
		if !parseMedia(t, body).hasPart(n+1, 0) {
			t.Fatalf("playlist lacks part %d.0:\n%s", n+1, body)
		}
	})
}

// TestBlockingReloadLifecycle checks waits on streams that stall and end.
func TestBlockingReloadLifecycle(t *testing.T) {
	f := newFixture(t, Config{})

	t.Run("stalled stream answers 503 after 3 target durations", func(t *testing.T) {
		t.Parallel()
		l := startLive(t, f.streams, "stalled", liveConfig(), 3*time.Second)
		l.pause()
		time.Sleep(100 * time.Millisecond) // let a frame being written land
		_, body := get(t, f.base+"/live/stalled/video.m3u8")
		hint := parseMedia(t, body).hint
		start := time.Now()
		resp, _ := get(t, fmt.Sprintf("%s/live/stalled/video.m3u8?_HLS_msn=%d&_HLS_part=%d", f.base, hint.MSN, hint.Part))
		waited := time.Since(start)
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("status %d, want 503", resp.StatusCode)
		}
		if resp.Header.Get("Retry-After") == "" {
			t.Error("503 without Retry-After")
		}
		if waited < 2900*time.Millisecond || waited > 4*time.Second {
			t.Errorf("answered after %v, want 3 s", waited)
		}
	})

	t.Run("ended stream ignores directives", func(t *testing.T) {
		t.Parallel()
		l := startLive(t, f.streams, "ended", liveConfig(), 3*time.Second)
		l.end()
		_, body := get(t, f.base+"/live/ended/video.m3u8")
		last := parseMedia(t, body).lastFull(t).MSN
		start := time.Now()
		resp, body := get(t, fmt.Sprintf("%s/live/ended/video.m3u8?_HLS_msn=%d&_HLS_part=3", f.base, last+2))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
		if d := time.Since(start); d > 300*time.Millisecond {
			t.Errorf("answered after %v, want at once", d)
		}
		if !parseMedia(t, body).ended {
			t.Errorf("no EXT-X-ENDLIST:\n%s", body)
		}
	})

	t.Run("stream end releases every waiter", func(t *testing.T) {
		t.Parallel()
		l := startLive(t, f.streams, "ending", liveConfig(), 3*time.Second)
		l.pause()
		time.Sleep(100 * time.Millisecond)
		_, body := get(t, f.base+"/live/ending/audio.m3u8")
		// The segment after the open one: nothing of it exists.
		next := parseMedia(t, body).lastFull(t).MSN + 2
		const n = 50
		base := f.h.Stats().Blocked.Load()
		var wg sync.WaitGroup
		statuses := make(chan string, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				resp, body := get(t, fmt.Sprintf("%s/live/ending/audio.m3u8?_HLS_msn=%d&_HLS_part=%d", f.base, next, i%3))
				statuses <- fmt.Sprintf("%d %v", resp.StatusCode, parseMedia(t, body).ended)
			}()
		}
		waitFor(t, 2*time.Second, "waiters to block", func() bool { return f.h.Stats().Blocked.Load() >= base+n })
		start := time.Now()
		l.end()
		wg.Wait()
		if d := time.Since(start); d > time.Second {
			t.Errorf("waiters released %v after the end", d)
		}
		close(statuses)
		for s := range statuses {
			if s != "200 true" {
				t.Errorf("waiter got %s, want 200 with ENDLIST", s)
			}
		}
	})
}

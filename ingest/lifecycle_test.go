package ingest

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

// TestReconnectContinuesWindow publishes, drops, and publishes again under
// the same name (over another protocol): the second publisher continues the
// same window with a discontinuity; once nobody comes back the stream ends
// and is removed a window later.
func TestReconnectContinuesWindow(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.Linger = time.Second
	cfg.Packager.Window = 3 * time.Second
	s, _ := startServer(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	flv, ts := repoFile(t, "sample.flv"), repoFile(t, "sample.ts")

	publish := func(args ...string) {
		t.Helper()
		if out, err := ffmpegCmd(ctx, t, args...).CombinedOutput(); err != nil {
			t.Fatalf("ffmpeg: %v\n%s", err, out)
		}
		waitFor(t, 5*time.Second, "publisher to leave", func() bool { return s.Stats().PublishersActive.Load() == 0 })
	}
	publish("-re", "-i", flv, "-t", "2", "-c", "copy", "-f", "flv", rtmpURL(s, "cam", "k"))
	first := s.Streams().Get("cam")
	if first == nil {
		t.Fatal("no window after the first publish")
	}
	publish("-re", "-i", ts, "-t", "2", "-c", "copy", "-f", "mpegts", "-method", "PUT", pushURL(s, "cam", "k"))
	if st := s.Streams().Get("cam"); st != first {
		t.Fatal("the second publisher got a new window")
	}
	if first.Ended() {
		t.Fatal("stream ended although its publisher came back")
	}
	for _, tr := range first.Tracks() {
		segs := tr.Segments()
		disc := 0
		for i, seg := range segs {
			if i > 0 && seg.MSN != segs[i-1].MSN+1 {
				t.Errorf("track %d: MSN %d follows %d", tr.ID(), seg.MSN, segs[i-1].MSN)
			}
			if seg.Discontinuity {
				disc++
			}
		}
		if disc != 1 {
			t.Errorf("track %d: %d discontinuities in %d segments, want 1", tr.ID(), disc, len(segs))
		}
	}
	waitFor(t, 5*time.Second, "the stream to end after linger", first.Ended)
	waitFor(t, 10*time.Second, "the ended stream to be removed", func() bool { return s.Streams().Get("cam") == nil })
}

// TestShutdownCutsPublishers cancels Run while publishers of both ports are
// sending: Run returns, the publishers are cut off and the streams end.
func TestShutdownCutsPublishers(t *testing.T) {
	t.Parallel()
	log, _ := testLogger(t)
	s, err := New(testConfig(), log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	<-s.Ready()

	pctx, pcancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer pcancel()
	flv, ts := repoFile(t, "sample.flv"), repoFile(t, "sample.ts")
	pubs := []*struct{ args []string }{
		{[]string{"-re", "-stream_loop", "-1", "-i", flv, "-c", "copy", "-f", "flv", rtmpURL(s, "a", "k")}},
		{[]string{"-re", "-stream_loop", "-1", "-i", ts, "-c", "copy", "-f", "mpegts", "-method", "PUT", pushURL(s, "b", "k")}},
	}
	exited := make(chan error, len(pubs))
	for _, p := range pubs {
		cmd := ffmpegCmd(pctx, t, p.args...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() { exited <- cmd.Wait() }()
	}
	waitFor(t, 10*time.Second, "both publishers", func() bool { return s.Stats().PublishersActive.Load() == 2 })
	a, b := s.Streams().Get("a"), s.Streams().Get("b")

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return")
	}
	for range pubs {
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			t.Fatal("a publisher kept running after shutdown")
		}
	}
	if n := s.Stats().PublishersActive.Load(); n != 0 {
		t.Errorf("%d publishers still active", n)
	}
	if !a.Ended() || !b.Ended() {
		t.Error("streams not ended at shutdown")
	}
	if _, err := net.Dial("tcp", s.RTMPAddr()); err == nil {
		t.Error("RTMP port still open")
	}
}

// TestLimits checks the publisher limit and the push body cap.
func TestLimits(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.MaxPublishers = 1
	cfg.MaxPushBytes = 200_000
	s, _ := startServer(t, cfg)
	sample := readRepoFile(t, "sample.ts")

	// A publisher that holds the only slot: its body stays open.
	holder, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	fmt.Fprintf(holder, "PUT /ingest/holder HTTP/1.1\r\nHost: ingest\r\nTransfer-Encoding: chunked\r\n\r\n")
	fmt.Fprintf(holder, "%x\r\n%s\r\n", 188*50, sample[:188*50])
	waitFor(t, 5*time.Second, "the holder", func() bool { return s.Stats().PublishersActive.Load() == 1 })

	status, body := rawPush(t, s.Addr(), "/ingest/other", sample[:188*10])
	if status != 503 || !strings.Contains(body, "too many publishers") {
		t.Errorf("push over the limit: %d %q", status, body)
	}
	if msg := rtmpRefused(t, s, "other"); !strings.Contains(msg, "too many publishers") {
		t.Errorf("RTMP over the limit: %q", msg)
	}
	holder.Close()
	waitFor(t, 5*time.Second, "the holder to leave", func() bool { return s.Stats().PublishersActive.Load() == 0 })

	status, body = rawPush(t, s.Addr(), "/ingest/big", sample)
	if status != 413 || !strings.Contains(body, "exceeds 200000") {
		t.Errorf("push over the cap, announced: %d %q", status, body)
	}

	// Chunked, the body's size is only known as it arrives.
	c, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	go func() {
		fmt.Fprintf(c, "PUT /ingest/big HTTP/1.1\r\nHost: ingest\r\nTransfer-Encoding: chunked\r\n\r\n")
		for off := 0; off < len(sample); off += 188 * 100 {
			chunk := sample[off:min(off+188*100, len(sample))]
			if _, err := fmt.Fprintf(c, "%x\r\n%s\r\n", len(chunk), chunk); err != nil {
				return
			}
		}
	}()
	status, body = readResponse(t, c)
	if status != 413 || !strings.Contains(body, "push body exceeds 200000 bytes") {
		t.Errorf("push over the cap, chunked: %d %q", status, body)
	}
}

package ingest

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// The seed corpora under testdata/fuzz come from real media: cuts of the
// repository's samples, short ffmpeg outputs and the bytes ffmpeg sends as
// an RTMP publisher. TestGenerateFuzzSeeds (-genseeds) rewrites them.

// fuzzPush feeds data through the push path: format detection, then the
// demuxer it picks, into a sink. Every error must carry a sentinel.
func fuzzPush(t *testing.T, data []byte, want proto) {
	s, fs, _ := newTestSink(nil, want)
	br := bufio.NewReader(bytes.NewReader(data))
	p, err := sniff(br, "")
	if err != nil || p != want {
		return
	}
	if want == protoTS {
		err = demuxTS(br, s)
	} else {
		err = demuxFMP4(br, s, 1<<20)
	}
	s.close()
	if err != nil && !classified(err) {
		t.Fatalf("unclassified error: %v", err)
	}
	_, frames, _, _ := fs.snapshot()
	for _, f := range frames {
		if len(f.NALUs) == 0 && len(f.Data) == 0 {
			t.Fatal("empty frame reached the packager")
		}
	}
}

func FuzzTSPush(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) { fuzzPush(t, data, protoTS) })
}

func FuzzFMP4Push(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) { fuzzPush(t, data, protoFMP4) })
}

var (
	fuzzServerOnce sync.Once
	fuzzServer     *Server
)

// newFuzzServer returns a server that is never Run, shared by all fuzz
// inputs of the process: its connection handler is driven directly.
func newFuzzServer(t *testing.T) *Server {
	fuzzServerOnce.Do(func() {
		cfg := testConfig()
		cfg.ReadTimeout = 20 * time.Millisecond
		cfg.Linger = time.Millisecond
		cfg.Packager.Window = 3 * time.Second
		s, err := New(cfg, zerolog.Nop())
		if err != nil {
			t.Fatal(err)
		}
		s.refuseLinger = time.Millisecond
		s.runCtx = context.Background()
		fuzzServer = s
	})
	return fuzzServer
}

// FuzzRTMP feeds bytes through a net.Pipe into the server's RTMP
// connection handler, as a publisher's TCP stream.
func FuzzRTMP(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		s := newFuzzServer(t)
		client, server := net.Pipe()
		defer client.Close()
		go func() { _, _ = client.Write(data) }()
		drained := make(chan struct{})
		go func() {
			defer close(drained)
			buf := make([]byte, 32<<10)
			for {
				if _, err := client.Read(buf); err != nil {
					return
				}
			}
		}()
		done := make(chan struct{})
		go func() {
			defer close(done)
			s.serveRTMP(context.Background(), server)
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("handler did not return")
		}
		client.Close()
		<-drained
		if n := s.Stats().PublishersActive.Load(); n != 0 {
			t.Fatalf("%d publishers still active after the handler returned", n)
		}
	})
}

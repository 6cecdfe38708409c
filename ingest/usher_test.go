package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/livetree/livetree/internal/tooltest"
	"github.com/livetree/livetree/usher/fleet"
	"github.com/livetree/livetree/usher/fleet/fleettest"
)

// fakeUsher records the origin reports it is sent.
type fakeUsher struct {
	url string

	mu      sync.Mutex // guards reports and auth
	reports []timedReport
	auth    []string
}

type timedReport struct {
	at  time.Time
	rep fleet.OriginReport
}

func startFakeUsher(t *testing.T) *fakeUsher {
	t.Helper()
	u := &fakeUsher{}
	mux := http.NewServeMux()
	mux.HandleFunc(fleet.PathOrigin, func(w http.ResponseWriter, r *http.Request) {
		var rep fleet.OriginReport
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&rep); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		u.mu.Lock()
		u.reports = append(u.reports, timedReport{time.Now(), rep})
		u.auth = append(u.auth, r.Header.Get("Authorization"))
		u.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u.url = "http://" + ln.Addr().String()
	srv := &http.Server{Handler: mux}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return u
}

// firstWith returns the first report listing stream, if any.
func (u *fakeUsher) firstWith(stream string) (timedReport, bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, r := range u.reports {
		for _, s := range r.rep.Streams {
			if s.Name == stream {
				return r, true
			}
		}
	}
	return timedReport{}, false
}

// TestRegisterWithUsher publishes with ffmpeg to an ingest server that
// has usher: the stream is announced as soon as the publisher starts, not
// at the next interval, with the server's URL and the fleet token, and its
// measured bitrate is what the encoder sends.
func TestRegisterWithUsher(t *testing.T) {
	tooltest.Need(t, "ffmpeg")
	u := startFakeUsher(t)
	cfg := testConfig()
	cfg.Ushers = []string{u.url}
	cfg.FleetToken = "fleet-secret"
	cfg.RegisterInterval = 10 * time.Second
	s, _ := startServer(t, cfg)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pub := ffmpegCmd(ctx, t, append(lavfiInput(6), "-b:v", "400k", "-f", "flv", rtmpURL(s, "cam", "k"))...)
	start := time.Now()
	if err := pub.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); _ = pub.Wait() }()
	waitFor(t, 5*time.Second, "a report of the stream", func() bool { _, ok := u.firstWith("cam"); return ok })
	r, _ := u.firstWith("cam")
	if d := r.at.Sub(start); d > 3*time.Second {
		t.Errorf("first report %v after the publisher started: not kicked", d)
	}
	if want := "http://" + s.Addr(); r.rep.URL != want {
		t.Errorf("report URL %q, want %q", r.rep.URL, want)
	}
	u.mu.Lock()
	for _, a := range u.auth {
		if a != "Bearer fleet-secret" {
			t.Errorf("report authorised with %q", a)
		}
	}
	u.mu.Unlock()

	waitFor(t, 10*time.Second, "a measured bitrate", func() bool {
		list := s.originStreams()
		return len(list) == 1 && list[0].BitrateMbps > 0
	})
	// 400 kb/s of video, 64 kb/s of audio, and the container's overhead;
	// a test pattern undershoots its target, so only the scale is checked.
	if got := s.originStreams()[0].BitrateMbps; got < 0.1 || got > 2 {
		t.Errorf("bitrate %.3f Mb/s, want about 0.5", got)
	}
}

// stubKeys is a key checker with a fixed answer.
type stubKeys struct{ err error }

func (k stubKeys) CheckKey(context.Context, string, string) error { return k.err }

// TestKeySources checks that the keys file and usher's Redis both grant
// keys, and that an outage of one source is not taken for a refusal.
func TestKeySources(t *testing.T) {
	r := fleettest.StartRedis(t)
	rdb := r.Client(t, 0)
	ctx := context.Background()
	if err := fleet.NewKeyChecker(rdb).SetKey(ctx, "red", "redkey"); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "keys")
	if err := os.WriteFile(path, []byte("file filekey\nred filekey2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.KeysFile = path
	cfg.Redis = rdb
	log, _ := testLogger(t)
	s, err := New(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	outage := errors.New("checker down")
	for _, tc := range []struct {
		name, stream, key string
		keys              KeyChecker
		want              error // nil, ErrBadKey or outage
	}{
		{"file grants", "file", "filekey", s.keys, nil},
		{"redis grants", "red", "redkey", s.keys, nil},
		{"file grants where redis differs", "red", "filekey2", s.keys, nil},
		{"both refuse", "file", "nope", s.keys, ErrBadKey},
		{"unknown stream", "none", "redkey", s.keys, ErrBadKey},
		{"outage and refusal", "x", "k", anyKey{stubKeys{fmt.Errorf("%w", ErrBadKey)}, stubKeys{outage}}, outage},
		{"outage and grant", "x", "k", anyKey{stubKeys{outage}, stubKeys{nil}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.keys.CheckKey(ctx, tc.stream, tc.key)
			switch {
			case tc.want == nil && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != nil && !errors.Is(err, tc.want):
				t.Fatalf("error %v, want %v", err, tc.want)
			case tc.want == outage && errors.Is(err, ErrBadKey):
				t.Fatalf("an outage reads as a bad key: %v", err)
			}
		})
	}

	r.Stop()
	if err := s.keys.CheckKey(ctx, "red", "redkey"); err == nil || errors.Is(err, ErrBadKey) {
		t.Errorf("redis down: %v, want an outage", err)
	}
	if err := s.keys.CheckKey(ctx, "file", "filekey"); err != nil {
		t.Errorf("the file still grants with redis down: %v", err)
	}
}

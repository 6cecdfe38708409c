package fleet

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/livetree/livetree/usher/fleet/fleettest"
)

func TestKeyChecker(t *testing.T) {
	r := fleettest.StartRedis(t)
	rdb, err := OpenRedis(r.URL(0), "")
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	kc := NewKeyChecker(rdb)
	ctx := context.Background()
	if err := kc.SetKey(ctx, "cam1", "s3cret-key"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, stream, key string
		ok                bool
	}{
		{"right key", "cam1", "s3cret-key", true},
		{"wrong key", "cam1", "s3cret-kez", false},
		{"prefix of key", "cam1", "s3cret", false},
		{"empty key", "cam1", "", false},
		{"unknown stream", "cam2", "s3cret-key", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := kc.CheckKey(ctx, tc.stream, tc.key)
			if tc.ok && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !tc.ok && !errors.Is(err, ErrBadKey) {
				t.Fatalf("err %v, want ErrBadKey", err)
			}
		})
	}
	if err := kc.DeleteKey(ctx, "cam1"); err != nil {
		t.Fatal(err)
	}
	if err := kc.CheckKey(ctx, "cam1", "s3cret-key"); !errors.Is(err, ErrBadKey) {
		t.Errorf("deleted key still accepted: %v", err)
	}
	// With Redis gone the checker refuses with an outage error, not
	// ErrBadKey.
	r.Stop()
	if err := kc.CheckKey(ctx, "cam1", "s3cret-key"); err == nil || errors.Is(err, ErrBadKey) {
		t.Errorf("outage: err %v", err)
	}
}

// fakeUsher answers the fleet API with canned replies.
func fakeUsher(t *testing.T, token string, reply Reply) (*httptest.Server, *atomic.Int64) {
	var beats atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc(PathHeartbeat, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		var l Load
		if err := json.NewDecoder(r.Body).Decode(&l); err != nil || l.ID == "" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		beats.Add(1)
		_ = json.NewEncoder(w).Encode(reply)
	})
	mux.HandleFunc(PathParent, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("stream") != "known" {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		_ = json.NewEncoder(w).Encode(ParentReply{Stream: "known", Edge: r.URL.Query().Get("edge"), Parent: "http://p.test"})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, &beats
}

func TestHeartbeaterFailsOverAndDrains(t *testing.T) {
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()
	live, beats := fakeUsher(t, "tok", Reply{Drain: true, Parents: map[string]string{"s": "http://new.test"}})
	var got atomic.Pointer[Reply]
	hb, err := NewHeartbeater(HeartbeaterConfig{
		Ushers:   []string{deadURL, live.URL},
		Token:    "tok",
		Interval: 20 * time.Millisecond,
		Load:     func() Load { return Load{ID: "e1", URL: "http://e1.test"} },
		OnReply:  func(r Reply) { got.Store(&r) },
	}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- hb.Run(ctx) }()
	deadline := time.Now().Add(3 * time.Second)
	for beats.Load() < 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if beats.Load() < 3 {
		t.Fatalf("%d beats reached the live usher", beats.Load())
	}
	if !hb.Drain() {
		t.Error("drain request not remembered")
	}
	if r := got.Load(); r == nil || r.Parents["s"] != "http://new.test" {
		t.Errorf("OnReply got %+v", r)
	}
}

func TestHeartbeaterWrongToken(t *testing.T) {
	live, _ := fakeUsher(t, "tok", Reply{})
	hb, _ := NewHeartbeater(HeartbeaterConfig{Ushers: []string{live.URL}, Token: "bad", Load: func() Load { return Load{ID: "e"} }}, zerolog.Nop())
	if _, err := hb.Beat(context.Background()); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("err %v, want ErrUnauthorized", err)
	}
}

func TestParentPicker(t *testing.T) {
	live, _ := fakeUsher(t, "tok", Reply{})
	pp, err := NewParentPicker(ParentPickerConfig{Ushers: []string{live.URL + "/"}, Token: "tok", EdgeID: "e1"})
	if err != nil {
		t.Fatal(err)
	}
	if p, err := pp.Parent(context.Background(), "known"); err != nil || p != "http://p.test" {
		t.Errorf("Parent = %q, %v", p, err)
	}
	if _, err := pp.Parent(context.Background(), "other"); !errors.Is(err, ErrUnknownStream) {
		t.Errorf("unknown stream: err %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	if _, err := NewParentPicker(ParentPickerConfig{Ushers: []string{" "}, EdgeID: "e"}); !errors.Is(err, ErrNoUsher) {
		t.Errorf("no usher: %v", err)
	}
	if _, err := NewHeartbeater(HeartbeaterConfig{Ushers: []string{"http://u"}}, zerolog.Nop()); err == nil {
		t.Error("heartbeater without Load accepted")
	}
	if _, err := NewOriginRegistrar(OriginRegistrarConfig{Ushers: []string{"http://u"}}, zerolog.Nop()); err == nil {
		t.Error("registrar without URL accepted")
	}
}

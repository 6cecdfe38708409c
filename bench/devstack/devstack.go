// Package devstack runs a whole livetree system in one process on loopback,
// with embedded defaults: usher with its embedded Redis, an ingest origin, a
// two-tier edge tree in two datacentres, and a broadcaster that loops the
// sample media into the origin. `make run` starts it; the browser tests
// play through it.
//
// The tier-1 edge pulls from the origin and only feeds the tier-2 edges;
// usher sends viewers to the tier-2 edges (datacentres a and b). So every
// viewer's video travels ingest → origin → tier-1 → tier-2 → player.
package devstack

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/livetree/livetree/bench/push"
	"github.com/livetree/livetree/cdn"
	"github.com/livetree/livetree/ingest"
	"github.com/livetree/livetree/packager"
	"github.com/livetree/livetree/usher"
)

// Config places the stack's servers. Addresses are host:port; port 0 picks
// a free one.
type Config struct {
	Usher      string
	OriginHTTP string
	OriginRTMP string
	Tier1      string
	Tier2      [2]string
	// Sample is the MPEG-TS file the built-in broadcaster loops.
	Sample string
	// Stream is the name it publishes as; empty runs no broadcaster.
	Stream string
}

// DefaultConfig is what `make run` uses: fixed ports on 127.0.0.1.
func DefaultConfig() Config {
	return Config{
		Usher:      "127.0.0.1:8000",
		OriginHTTP: "127.0.0.1:8080",
		OriginRTMP: "127.0.0.1:1935",
		Tier1:      "127.0.0.1:8081",
		Tier2:      [2]string{"127.0.0.1:8082", "127.0.0.1:8083"},
		Sample:     "testdata/sample.ts",
		Stream:     "demo",
	}
}

// Stack is a running system.
type Stack struct {
	UsherURL  string // viewers start here
	OriginURL string // the origin's HTTP base URL
	RTMPURL   string // rtmp://host:port/live, without the stream name
	Tier1URL  string
	Tier2URLs [2]string

	wg   sync.WaitGroup
	mu   sync.Mutex // guards errs
	errs []error
}

// Start builds every component and runs it until ctx ends. It returns once
// all of them listen. Wait returns when they have all stopped.
func Start(ctx context.Context, cfg Config, log zerolog.Logger) (*Stack, error) {
	ctx, cancel := context.WithCancel(ctx)
	st := &Stack{}
	fail := func(err error) (*Stack, error) {
		cancel()
		st.wg.Wait()
		return nil, err
	}
	fleetToken := randomHex(16)
	tokenKeys := map[string][]byte{"dev": []byte(randomHex(32))}
	if err := cfg.resolve(); err != nil {
		return fail(err)
	}
	st.RTMPURL = "rtmp://" + cfg.OriginRTMP + "/live"
	st.OriginURL = "http://" + cfg.OriginHTTP

	ucfg := usher.DefaultConfig()
	ucfg.HTTPAddr = cfg.Usher
	ucfg.DC = "a"
	ucfg.FleetToken = fleetToken
	ucfg.TokenKeys, ucfg.TokenKeyID = tokenKeys, "dev"
	ucfg.PublishURL = st.RTMPURL
	u, err := usher.New(ucfg, log)
	if err != nil {
		return fail(fmt.Errorf("devstack: usher: %w", err))
	}
	st.UsherURL = "http://" + u.HTTPAddr()
	st.run(func() error { return u.Run(ctx) })

	if err := startOrigin(ctx, st, cfg, fleetToken, tokenKeys, log); err != nil {
		return fail(err)
	}
	// Tier 1 relays the origin to tier 2 and takes no viewers of its own,
	// so it does not report to usher.
	t1, err := startEdge(ctx, st, cfg.Tier1, log, func(c *cdn.Config) {
		c.ID, c.DC, c.Parent = "tier1", "a", st.OriginURL
		c.FleetToken, c.TokenKeys = fleetToken, tokenKeys
	})
	if err != nil {
		return fail(err)
	}
	st.Tier1URL = t1
	for i, dc := range []string{"a", "b"} {
		url, err := startEdge(ctx, st, cfg.Tier2[i], log, func(c *cdn.Config) {
			c.ID, c.DC, c.Parent, c.Fallbacks = "tier2-"+dc, dc, t1, []string{st.OriginURL}
			c.Ushers, c.FleetToken, c.TokenKeys = []string{st.UsherURL}, fleetToken, tokenKeys
		})
		if err != nil {
			return fail(err)
		}
		st.Tier2URLs[i] = url
	}

	if cfg.Stream != "" {
		media, err := push.LoadTS(cfg.Sample)
		if err != nil {
			return fail(fmt.Errorf("devstack: sample: %w", err))
		}
		media = inDecodeOrder(media)
		target := st.RTMPURL + "/" + cfg.Stream
		st.run(func() error { return broadcast(ctx, target, media, log) })
	}
	go func() { st.wg.Wait(); cancel() }()
	return st, nil
}

func startOrigin(ctx context.Context, st *Stack, cfg Config, fleetToken string, keys map[string][]byte,
	log zerolog.Logger) error {
	icfg := ingest.DefaultConfig()
	icfg.HTTPAddr, icfg.RTMPAddr = cfg.OriginHTTP, cfg.OriginRTMP
	icfg.Ushers, icfg.PublicURL, icfg.FleetToken = []string{st.UsherURL}, st.OriginURL, fleetToken
	access, err := cdn.NewAccess(keys, fleetToken)
	if err != nil {
		return err
	}
	o, err := ingest.NewOrigin(ctx, icfg, access, log)
	if err != nil {
		return fmt.Errorf("devstack: origin: %w", err)
	}
	st.run(func() error { return o.Run(ctx) })
	select {
	case <-o.Ready():
	case <-time.After(10 * time.Second):
		return errors.New("devstack: origin did not start")
	}
	if o.Addr() == "" {
		return fmt.Errorf("devstack: origin could not listen on %s and %s", cfg.OriginHTTP, cfg.OriginRTMP)
	}
	return nil
}

// startEdge runs an edge on addr with the defaults that set changes.
func startEdge(ctx context.Context, st *Stack, addr string, log zerolog.Logger, set func(*cdn.Config)) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("devstack: edge on %s: %w", addr, err)
	}
	cfg := cdn.DefaultConfig()
	set(&cfg)
	cfg.HTTP = ln.Addr().String()
	cfg.PublicURL = "http://" + cfg.HTTP
	e, err := cdn.New(cfg, log.With().Str("edge", cfg.ID).Logger())
	if err != nil {
		ln.Close()
		return "", fmt.Errorf("devstack: edge %s: %w", cfg.ID, err)
	}
	st.run(func() error { return e.Serve(ctx, ln) })
	return cfg.PublicURL, nil
}

// resolve replaces port 0 in the origin's addresses with free ports, since
// usher must know them before the origin starts.
func (c *Config) resolve() error {
	for _, a := range []*string{&c.OriginHTTP, &c.OriginRTMP} {
		host, port, err := net.SplitHostPort(*a)
		if err != nil {
			return fmt.Errorf("devstack: address %q: %w", *a, err)
		}
		if port != "0" {
			continue
		}
		l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			return err
		}
		*a = l.Addr().String()
		l.Close()
	}
	return nil
}

// broadcast loops the sample into the origin, reconnecting if the
// connection drops, until ctx ends.
func broadcast(ctx context.Context, url string, m *push.Media, log zerolog.Logger) error {
	for ctx.Err() == nil {
		err := push.RTMP(ctx, url, m, 0, nil)
		if ctx.Err() != nil {
			break
		}
		log.Warn().Err(err).Str("component", "devstack").Msg("broadcaster disconnected; reconnecting")
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
	return nil
}

// inDecodeOrder returns m with its frames sorted by decode time across
// tracks, so that the broadcaster sends every frame when it is due, as a
// live encoder does. In file order an MPEG-TS muxer holds audio back and
// interleaves it in bursts a quarter of a second apart; replayed that way,
// audio parts complete in bursts too, a few milliseconds apart, and hls.js
// (1.7.4) then skips the last audio part of a segment now and then and
// stalls on the hole.
func inDecodeOrder(m *push.Media) *push.Media {
	out := *m
	out.Frames = slices.Clone(m.Frames)
	slices.SortStableFunc(out.Frames, func(a, b packager.Frame) int { return cmp.Compare(a.DTS, b.DTS) })
	return &out
}

func (st *Stack) run(f func() error) {
	st.wg.Add(1)
	go func() {
		defer st.wg.Done()
		if err := f(); err != nil && !errors.Is(err, context.Canceled) {
			st.mu.Lock()
			st.errs = append(st.errs, err)
			st.mu.Unlock()
		}
	}()
}

// Wait blocks until every component has stopped and returns their errors.
func (st *Stack) Wait() error {
	st.wg.Wait()
	st.mu.Lock()
	defer st.mu.Unlock()
	return errors.Join(st.errs...)
}

// WatchURL is the player page for stream in mode (hls, dash or chunked).
func (st *Stack) WatchURL(stream, mode string) string {
	return st.UsherURL + "/watch/" + stream + "?mode=" + mode
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Package ingest receives live streams from broadcasters (RTMP from OBS or
// ffmpeg, HTTP push of MPEG-TS or fragmented MP4) and feeds their access
// units to the packager. The server is the stream's origin: the windows it
// fills are what cdn edges pull and what Delivery serves. With usher
// (Config.Ushers) it announces the streams it holds, and with usher's
// Redis (Config.Redis) it accepts the stream keys stored there.
package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"

	"github.com/livetree/livetree/cdn/delivery"
	"github.com/livetree/livetree/packager"
	"github.com/livetree/livetree/packager/window"
	"github.com/livetree/livetree/usher/fleet"
)

// shutdownGrace bounds how long Run waits for HTTP connections to finish
// after the publishers have been cut off.
const shutdownGrace = 5 * time.Second

// Server is an ingest server: RTMP and HTTP push in, packager windows out.
type Server struct {
	cfg      Config
	log      zerolog.Logger
	baseLog  zerolog.Logger // for the usher client, which names its own component
	keys     KeyChecker
	stats    Stats
	metrics  *prometheus.Registry
	streams  *window.Streams
	registry *registry
	http     *fasthttp.Server
	// refuseLinger is how long a refused RTMP publisher gets to read its
	// error; fuzzing shortens it.
	refuseLinger time.Duration
	// rtmpSlots bounds RTMP connections, including those still in the
	// handshake, to twice MaxPublishers.
	rtmpSlots chan struct{}
	// registrar announces the streams to usher; nil without usher. Run
	// sets it before it accepts any publisher.
	registrar *fleet.OriginRegistrar

	mu       sync.Mutex // guards rtmpAddr, httpAddr and running
	rtmpAddr net.Addr
	httpAddr net.Addr
	running  bool
	ready    chan struct{} // closed once Run has bound its listeners or failed

	// runCtx is cancelled when Run begins shutting down; every publisher
	// closes its connection on it. It is set before ready is closed.
	runCtx context.Context
	conns  sync.WaitGroup // RTMP connection goroutines
}

// New checks cfg, loads the keys and builds a server. Nothing listens until
// Run.
func New(cfg Config, log zerolog.Logger) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Server{
		cfg:          cfg,
		log:          log.With().Str("component", "ingest").Logger(),
		baseLog:      log,
		keys:         cfg.Keys,
		metrics:      prometheus.NewRegistry(),
		streams:      cfg.Streams,
		rtmpSlots:    make(chan struct{}, 2*cfg.MaxPublishers),
		refuseLinger: refuseLinger,
		ready:        make(chan struct{}),
	}
	if s.streams == nil {
		s.streams = window.NewStreams()
	}
	var keys anyKey
	if s.keys != nil {
		keys = append(keys, s.keys)
	} else if cfg.KeysFile != "" {
		k, err := LoadKeys(cfg.KeysFile)
		if err != nil {
			return nil, err
		}
		s.log.Info().Int("streams", k.Len()).Msg("stream keys loaded")
		keys = append(keys, k)
	}
	if cfg.Redis != nil {
		keys = append(keys, redisKeys{fleet.NewKeyChecker(cfg.Redis)})
	}
	switch len(keys) {
	case 0:
		s.keys = allowAll
		s.log.Warn().Msg("NO STREAM KEYS CONFIGURED: anyone can publish any stream (dev mode); set -keys or -redis for production")
	case 1:
		s.keys = keys[0]
	default:
		s.keys = keys
	}
	s.registry = newRegistry(cfg.Linger, cfg.Packager.Window, cfg.MaxPublishers,
		func(name string) liveStream {
			st := packager.NewStream(name, cfg.Packager)
			s.streams.Add(st.Window())
			return packagerStream{st}
		},
		s.streams.Remove)
	if err := s.metrics.Register(newStatsCollector(&s.stats)); err != nil {
		return nil, err
	}
	if err := s.metrics.Register(collectors.NewGoCollector()); err != nil {
		return nil, err
	}
	metrics := fasthttpadaptor.NewFastHTTPHandler(promhttp.HandlerFor(s.metrics, promhttp.HandlerOpts{}))
	s.http = &fasthttp.Server{
		Handler:           s.routes(metrics),
		Name:              "livetree-ingest",
		StreamRequestBody: true,
		// ReadTimeout covers the request headers; push bodies refresh the
		// deadline on every read instead.
		ReadTimeout:     cfg.ReadTimeout,
		IdleTimeout:     time.Minute,
		CloseOnShutdown: true,
		Logger:          fasthttpLogger{s.log},
	}
	return s, nil
}

// Run listens on both ports and serves until ctx is cancelled, then closes
// the listeners, cuts off every publisher and ends every stream. It may be
// called once.
func (s *Server) Run(ctx context.Context) error {
	s.mu.Lock()
	if s.running {
		s.mu.Unlock()
		return errors.New("ingest: Run called twice")
	}
	s.running = true
	s.mu.Unlock()

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	s.runCtx = runCtx

	var lc net.ListenConfig
	rtmpLn, err := lc.Listen(ctx, "tcp", s.cfg.RTMPAddr)
	if err != nil {
		close(s.ready)
		return fmt.Errorf("ingest: RTMP listen: %w", err)
	}
	httpLn, err := lc.Listen(ctx, "tcp", s.cfg.HTTPAddr)
	if err != nil {
		rtmpLn.Close()
		close(s.ready)
		return fmt.Errorf("ingest: HTTP listen: %w", err)
	}
	if s.registrar, err = s.newRegistrar(httpLn.Addr()); err != nil {
		rtmpLn.Close()
		httpLn.Close()
		close(s.ready)
		return fmt.Errorf("ingest: %w", err)
	}
	s.mu.Lock()
	s.rtmpAddr, s.httpAddr = rtmpLn.Addr(), httpLn.Addr()
	s.mu.Unlock()
	close(s.ready)
	s.log.Info().Str("rtmp", rtmpLn.Addr().String()).Str("http", httpLn.Addr().String()).Msg("listening")

	errc := make(chan error, 2)
	var loops sync.WaitGroup
	if s.registrar != nil {
		loops.Add(1)
		go func() {
			defer loops.Done()
			_ = s.registrar.Run(runCtx)
		}()
	}
	loops.Add(2)
	go func() {
		defer loops.Done()
		errc <- s.acceptRTMP(runCtx, rtmpLn)
	}()
	served := delivery.Listener(httpLn)
	if s.cfg.Listen != nil {
		if served, err = s.cfg.Listen(httpLn); err != nil {
			s.log.Info().Err(err).Msg("serving without the fast path")
			served = delivery.Listener(httpLn)
		}
	}
	go func() {
		defer loops.Done()
		errc <- s.http.Serve(served)
	}()

	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errc:
		runErr = fmt.Errorf("ingest: %w", runErr)
	}
	cancel()
	rtmpLn.Close()
	shutCtx, stop := context.WithTimeout(context.Background(), shutdownGrace)
	if err := s.http.ShutdownWithContext(shutCtx); err != nil {
		s.log.Warn().Err(err).Msg("HTTP shutdown incomplete")
	}
	stop()
	loops.Wait()
	s.conns.Wait()
	s.registry.close()
	s.log.Info().Msg("stopped")
	return runErr
}

// Ready is closed once Run has bound its listeners (or failed to).
func (s *Server) Ready() <-chan struct{} { return s.ready }

// Addr returns the bound HTTP address, or "" before Run has bound it.
func (s *Server) Addr() string { return s.addr(&s.httpAddr) }

// RTMPAddr returns the bound RTMP address, or "" before Run has bound it.
func (s *Server) RTMPAddr() string { return s.addr(&s.rtmpAddr) }

func (s *Server) addr(a *net.Addr) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if *a == nil {
		return ""
	}
	return (*a).String()
}

// Streams returns the live windows, for the delivery handler.
func (s *Server) Streams() *window.Streams { return s.streams }

// Metrics returns the registry behind /metrics, for the handlers mounted
// beside the ingest to register their own collectors.
func (s *Server) Metrics() prometheus.Registerer { return s.metrics }

// Stats returns the server's counters.
func (s *Server) Stats() *Stats { return &s.stats }

// routes returns the HTTP handler: push, health, metrics and delivery.
func (s *Server) routes(metrics fasthttp.RequestHandler) fasthttp.RequestHandler {
	return func(ctx *fasthttp.RequestCtx) {
		path := ctx.Path()
		switch {
		// The raw path counts too: "/ingest/../x" normalises away from the
		// push endpoint, but its publisher deserves a "bad name" answer.
		case bytes.HasPrefix(path, []byte(pushPrefix)), bytes.HasPrefix(ctx.URI().PathOriginal(), []byte(pushPrefix)):
			s.servePush(ctx)
		case string(path) == "/healthz":
			ctx.SetContentType("text/plain; charset=utf-8")
			ctx.SetBodyString("ok\n")
		case string(path) == "/metrics":
			metrics(ctx)
		case s.cfg.Delivery != nil:
			s.cfg.Delivery(ctx)
		default:
			ctx.Error("not found\n", fasthttp.StatusNotFound)
		}
	}
}

// admit checks a publisher's name and key and claims the stream for it.
func (s *Server) admit(ctx context.Context, name, key string) (*lease, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	kctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := s.keys.CheckKey(kctx, name, key); err != nil {
		if errors.Is(err, ErrBadKey) {
			return nil, err
		}
		return nil, fmt.Errorf("key check for %s: %w", name, err)
	}
	l, err := s.registry.acquire(name)
	if err != nil {
		return nil, err
	}
	s.stats.PublishersActive.Add(1)
	if s.registrar != nil {
		s.registrar.Kick()
	}
	return l, nil
}

// leave releases a publisher's lease.
func (s *Server) leave(l *lease) {
	s.stats.PublishersActive.Add(-1)
	l.release()
}

// packagerStream adapts *packager.Stream to liveStream.
type packagerStream struct{ *packager.Stream }

func (p packagerStream) Publish(t packager.Tracks) (mediaSession, error) {
	sess, err := p.Stream.Publish(t)
	if err != nil {
		return nil, err
	}
	return sess, nil
}

// fasthttpLogger routes fasthttp's own messages into zerolog. Only the
// format is kept: fasthttp quotes raw request bytes in some messages, and
// those may hold a stream key.
type fasthttpLogger struct{ log zerolog.Logger }

func (l fasthttpLogger) Printf(format string, _ ...any) {
	l.log.Debug().Str("fasthttp", format).Msg("HTTP server message")
}

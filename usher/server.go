package usher

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
	"github.com/valyala/fasthttp"

	"github.com/livetree/livetree/usher/fleet"
	"github.com/livetree/livetree/usher/geo"
	"github.com/livetree/livetree/usher/placement"
	"github.com/livetree/livetree/usher/token"
	"github.com/livetree/livetree/usher/web"
)

// Server is one usher instance. Build it with New, serve with Run.
type Server struct {
	cfg Config
	log zerolog.Logger

	rdb  redis.UniversalClient
	mini *miniredis.Miniredis // embedded Redis, nil when Config.Redis is set

	tokens    *tokenCache
	countries *geo.CountryDB // nil without Config.GeoIPPath
	regions   geo.Regions
	isps      *geo.Table // nil without Config.ISPTablePath

	httpLn, adminLn   net.Listener // adminLn is nil without an admin token
	httpSrv, adminSrv *fasthttp.Server

	ref      *refresher
	arrivals arrivals
	planKick chan struct{} // wakes the planner after a refresh
	pub      publisher     // owned by the planner goroutine

	ledgerMu sync.Mutex // guards ledger
	ledger   *placement.Ledger

	view  atomic.Pointer[view]    // never nil after New
	trees atomic.Pointer[treeSet] // never nil after New

	pages *web.Handler // the viewer pages: /, /watch/, /static/, /api/streams, /time

	st           stats
	decisionTime prometheus.Histogram
	metrics      fasthttp.RequestHandler

	closeOnce sync.Once
}

// New checks cfg, connects to Redis (or starts the embedded one), loads the
// geo data and opens the listeners. Nothing is served until Run.
func New(cfg Config, log zerolog.Logger) (s *Server, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s = &Server{
		cfg:      cfg,
		log:      log.With().Str("component", "usher").Logger(),
		regions:  geo.DefaultRegions(),
		planKick: make(chan struct{}, 1),
	}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	if s.cfg.InstanceID == "" {
		host, _ := os.Hostname()
		s.cfg.InstanceID = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), rand.Text()[:8])
	}
	if err := s.openRedis(); err != nil {
		return nil, err
	}
	if err := s.openTokens(); err != nil {
		return nil, err
	}
	ref := &refresher{cfg: s.cfg, rdb: s.rdb, log: log.With().Str("component", "usher-refresh").Logger(), demand: newDemandReader(s.cfg)}
	ref.dials = s.cfg.Dials
	ref.dials.StaleAfter = s.cfg.EdgeTimeout
	if err := s.openGeo(ref); err != nil {
		return nil, err
	}
	s.ref = ref

	empty, err := placement.NewSnapshot(placement.Input{Dials: ref.dials, Taken: time.Now()})
	if err != nil {
		return nil, err
	}
	s.view.Store(&view{snap: empty, drain: map[string]bool{}})
	s.trees.Store(&treeSet{streams: map[string]*tree{}})
	s.ledger = placement.NewLedger(empty, 1)
	s.metrics = s.newMetrics()
	s.pages = web.New(web.Config{Streams: s.liveStreams, RTMPURL: cfg.PublishURL})

	if s.httpLn, err = net.Listen("tcp", s.cfg.HTTPAddr); err != nil {
		return nil, fmt.Errorf("usher: listen %s: %w", s.cfg.HTTPAddr, err)
	}
	s.httpSrv = s.newHTTPServer("usher", s.handlePublic)
	if s.cfg.AdminToken != "" {
		if s.adminLn, err = net.Listen("tcp", s.cfg.AdminAddr); err != nil {
			return nil, fmt.Errorf("usher: listen %s: %w", s.cfg.AdminAddr, err)
		}
		s.adminSrv = s.newHTTPServer("usher-admin", s.handleAdmin)
	} else {
		s.log.Warn().Msg("no admin token: the admin API is disabled")
	}
	if s.cfg.FleetToken == "" {
		s.log.Warn().Msg("no fleet token: anyone may heartbeat and register origins (development only)")
	}

	// A first reading lets the server answer from real data at once; if
	// Redis is not there yet, the refresh loop keeps trying.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := s.refresh(ctx); err != nil {
		s.log.Warn().Err(err).Msg("first redis reading failed; starting with an empty fleet")
	}
	return s, nil
}

func (s *Server) newHTTPServer(name string, h fasthttp.RequestHandler) *fasthttp.Server {
	return &fasthttp.Server{
		Handler:            h,
		Name:               name,
		ReadTimeout:        30 * time.Second,
		WriteTimeout:       10 * time.Second,
		IdleTimeout:        2 * time.Minute,
		MaxRequestBodySize: 8 << 20,
		CloseOnShutdown:    true,
		Logger:             fasthttpLogger{s.log},
	}
}

// openRedis connects to Config.Redis or starts the embedded miniredis.
func (s *Server) openRedis() error {
	if s.cfg.Redis != "" {
		rdb, err := fleet.OpenRedis(s.cfg.Redis, s.cfg.RedisMaster)
		if err != nil {
			return err
		}
		s.rdb = rdb
		return nil
	}
	m := miniredis.NewMiniRedis()
	if err := m.StartAddr("127.0.0.1:0"); err != nil {
		return fmt.Errorf("usher: start embedded redis: %w", err)
	}
	s.mini = m
	rdb, err := fleet.OpenRedis("redis://"+m.Addr(), "")
	if err != nil {
		return err
	}
	s.rdb = rdb
	s.log.Warn().Str("addr", m.Addr()).Msg("no -redis given: started an embedded miniredis (development only; state is lost on exit)")
	return nil
}

// openTokens builds the token signer, with a random key in development.
func (s *Server) openTokens() error {
	keys, current := s.cfg.TokenKeys, s.cfg.TokenKeyID
	if len(keys) == 0 {
		keys, current = map[string][]byte{"dev": []byte(rand.Text())}, "dev"
		s.log.Warn().Msg("no token keys: signing with a random key edges cannot verify (development only)")
	}
	signer, err := token.NewSigner(keys, current)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	s.tokens = newTokenCache(signer, s.cfg.TokenTTL, s.cfg.TokenBindIP)
	return nil
}

// openGeo loads the country database, the ISP table and the latency
// matrix that are configured.
func (s *Server) openGeo(ref *refresher) error {
	if s.cfg.GeoIPPath != "" {
		db, err := geo.Open(s.cfg.GeoIPPath)
		if err != nil {
			return err
		}
		s.countries = db
	}
	if s.cfg.ISPTablePath != "" {
		t, err := geo.LoadTable(s.cfg.ISPTablePath)
		if err != nil {
			return err
		}
		s.isps = t
		ref.peering = t.Peering()
	}
	ref.latency = s.cfg.Latency
	if s.cfg.LatencyPath != "" {
		b, err := os.ReadFile(s.cfg.LatencyPath)
		if err != nil {
			return fmt.Errorf("usher: latency matrix: %w", err)
		}
		if err := json.Unmarshal(b, &ref.latency); err != nil {
			return fmt.Errorf("usher: latency matrix %s: %w", s.cfg.LatencyPath, err)
		}
	}
	return nil
}

// HTTPAddr returns the address the public listener is bound to.
func (s *Server) HTTPAddr() string { return s.httpLn.Addr().String() }

// AdminAddr returns the admin listener's address, or "" when disabled.
func (s *Server) AdminAddr() string {
	if s.adminLn == nil {
		return ""
	}
	return s.adminLn.Addr().String()
}

// Redis returns the client of the Redis usher keeps its state in, e.g. to
// share it with an in-process fleet.KeyChecker.
func (s *Server) Redis() redis.UniversalClient { return s.rdb }

// Run serves until ctx ends, then stops every goroutine it started, writes
// the last counted arrivals and releases everything New acquired.
func (s *Server) Run(ctx context.Context) error {
	defer s.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errc := make(chan error, 2)
	serve := func(srv *fasthttp.Server, ln net.Listener) {
		defer wg.Done()
		if err := srv.Serve(ln); err != nil {
			errc <- err
			cancel()
		}
	}
	loops := []func(context.Context){s.runRefresh, s.runFlush, s.runPlanner}
	if s.mini != nil {
		loops = append(loops, s.runMiniClock)
	}
	wg.Add(len(loops))
	for _, loop := range loops {
		go func() {
			defer wg.Done()
			loop(ctx)
		}()
	}
	wg.Add(1)
	go serve(s.httpSrv, s.httpLn)
	if s.adminSrv != nil {
		wg.Add(1)
		go serve(s.adminSrv, s.adminLn)
	}
	s.log.Info().Str("http", s.HTTPAddr()).Str("admin", s.AdminAddr()).Str("dc", s.cfg.DC).Str("instance", s.cfg.InstanceID).Msg("usher serving")

	<-ctx.Done()
	sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer scancel()
	_ = s.httpSrv.ShutdownWithContext(sctx)
	if s.adminSrv != nil {
		_ = s.adminSrv.ShutdownWithContext(sctx)
	}
	wg.Wait()
	s.flush(sctx)
	s.resign(sctx)
	select {
	case err := <-errc:
		return fmt.Errorf("usher: serve: %w", err)
	default:
		return nil
	}
}

// Close releases the listeners, Redis and the geo database. Run calls it;
// call it directly only for a Server that never ran.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		for _, ln := range []net.Listener{s.httpLn, s.adminLn} {
			if ln != nil {
				_ = ln.Close()
			}
		}
		if s.rdb != nil {
			_ = s.rdb.Close()
		}
		if s.mini != nil {
			s.mini.Close()
		}
		if s.countries != nil {
			_ = s.countries.Close()
		}
	})
}

// fasthttpLogger routes fasthttp's own messages to zerolog.
type fasthttpLogger struct{ log zerolog.Logger }

func (l fasthttpLogger) Printf(format string, args ...any) {
	l.log.Debug().Msgf(format, args...)
}

// liveStreams lists the streams of the current snapshot for the index page.
func (s *Server) liveStreams() []web.Stream {
	snap := s.view.Load().snap
	names := snap.Streams()
	out := make([]web.Stream, 0, len(names))
	for _, name := range names {
		o, _, _ := snap.Stream(name)
		out = append(out, web.Stream{Name: name, BitrateMbps: o.BitrateMbps})
	}
	return out
}

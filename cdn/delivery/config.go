package delivery

import (
	"fmt"
	"time"

	"github.com/rs/zerolog"
	"github.com/valyala/fasthttp"

	"github.com/livetree/livetree/packager/window"
)

// Config sets up a Handler. The zero value of every field but Streams has a
// default.
type Config struct {
	// Streams is the set of windows the handler serves.
	Streams *window.Streams
	// Hop names this server in every response's X-Livetree-Hop header:
	// "origin", or an edge's id. Default "origin".
	Hop string
	// UTCTimingPath is where the server's clock is served, for DASH
	// UTCTiming. Default "/time".
	UTCTimingPath string
	// MaxBlock bounds how long a request waits for media that is not there
	// yet, given the target duration the stream's playlists advertise.
	// Default 3× target.
	MaxBlock func(target time.Duration) time.Duration
	// WriteTimeout bounds every write of a streamed body: a client that
	// takes longer to accept one chunk is dropped, so a slow reader costs
	// one goroutine and no buffer. Default 5 s.
	WriteTimeout time.Duration
	// LatencyTarget is the DASH ServiceDescription latency target; 0 leaves
	// the renderer's default.
	LatencyTarget time.Duration
}

func (c Config) withDefaults() Config {
	if c.Streams == nil {
		c.Streams = window.NewStreams()
	}
	if c.Hop == "" {
		c.Hop = "origin"
	}
	if c.UTCTimingPath == "" {
		c.UTCTimingPath = "/time"
	}
	if c.MaxBlock == nil {
		c.MaxBlock = func(target time.Duration) time.Duration { return 3 * target }
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = 5 * time.Second
	}
	return c
}

// Server limits that ServerDefaults applies. Requests are bodiless GETs, so
// the read buffer, which also bounds the request line and headers, is
// small. Every kept-alive connection holds both buffers, and a body larger
// than the write buffer bypasses it, so neither needs to be larger.
const (
	readBufferSize  = 4 << 10
	writeBufferSize = 4 << 10
	maxRequestBody  = 4 << 10
	readTimeout     = 10 * time.Second
	// writeTimeout bounds a whole response with a known length; a streamed
	// body instead moves its deadline forward at each write (see
	// Config.WriteTimeout).
	writeTimeout = 10 * time.Second
	idleTimeout  = 60 * time.Second
	concurrency  = 256 << 10
)

// ServerDefaults applies the settings every server mounting the handler
// needs: bounded request sizes, read, write and idle deadlines, no default
// Server header, and room for many connections blocked on playlist reloads.
// It leaves Handler and Logger alone.
func ServerDefaults(s *fasthttp.Server) {
	s.ReadBufferSize = readBufferSize
	s.WriteBufferSize = writeBufferSize
	s.MaxRequestBodySize = maxRequestBody
	s.ReadTimeout = readTimeout
	s.WriteTimeout = writeTimeout
	s.IdleTimeout = idleTimeout
	s.Concurrency = concurrency
	s.NoDefaultServerHeader = true
	s.DisablePreParseMultipartForm = true
	s.TCPKeepalive = true
	s.CloseOnShutdown = true
	s.Name = ""
}

// Server returns a fasthttp server with ServerDefaults, serving h and
// logging through h's logger.
func (h *Handler) Server() *fasthttp.Server {
	s := &fasthttp.Server{Handler: h.Serve, Logger: serverLogger{h.log}}
	ServerDefaults(s)
	return s
}

// serverLogger carries fasthttp's own messages, mostly connections cut on
// purpose or by clients, at debug level.
type serverLogger struct{ log zerolog.Logger }

func (l serverLogger) Printf(format string, args ...any) {
	l.log.Debug().Str("from", "fasthttp").Msg(fmt.Sprintf(format, args...))
}

package fleet

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
)

// OpenRedis returns a client for spec, which is either a redis:// or
// rediss:// URL, or a comma-separated list of host:port addresses: Sentinel
// addresses when master names the monitored master, otherwise Cluster
// nodes (or one plain server when the list has one address). Timeouts are
// short because every caller has a fallback: usher keeps its last good
// snapshot, ingest refuses the publisher, who retries.
func OpenRedis(spec, master string) (redis.UniversalClient, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return nil, errors.New("fleet: empty redis address")
	}
	const (
		dial = 500 * time.Millisecond
		io   = 500 * time.Millisecond
	)
	if strings.Contains(spec, "://") {
		opt, err := redis.ParseURL(spec)
		if err != nil {
			return nil, fmt.Errorf("fleet: redis URL: %w", err)
		}
		opt.DialTimeout, opt.ReadTimeout, opt.WriteTimeout, opt.MaxRetries = dial, io, io, 1
		return redis.NewClient(opt), nil
	}
	var addrs []string
	for _, a := range strings.Split(spec, ",") {
		if a = strings.TrimSpace(a); a != "" {
			addrs = append(addrs, a)
		}
	}
	return redis.NewUniversalClient(&redis.UniversalOptions{
		Addrs:        addrs,
		MasterName:   master,
		DialTimeout:  dial,
		ReadTimeout:  io,
		WriteTimeout: io,
		MaxRetries:   1,
	}), nil
}

// LogRedisAtDebug sends go-redis's own messages, such as every failed
// dial, to log at the debug level: the servers report Redis outages
// themselves, once, with their consequence.
func LogRedisAtDebug(log zerolog.Logger) {
	redis.SetLogger(redisLogger{log.With().Str("component", "go-redis").Logger()})
}

type redisLogger struct{ log zerolog.Logger }

func (l redisLogger) Printf(_ context.Context, format string, v ...any) {
	l.log.Debug().Msgf(format, v...)
}

package usher

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/livetree/livetree/usher/fleet"
)

// recordTTL is how long an edge or origin record outlives its last report
// in Redis. It is longer than any timeout so that readers judge freshness
// by the "seen" score; expiry only clears what nobody removed.
const recordTTL = time.Minute

// edgeRecord is one edge's heartbeat as read back from Redis.
type edgeRecord struct {
	fleet.Load
	Seen time.Time
}

// writeHeartbeat stores an edge's load, stamped with usher's clock so that
// edge clocks do not matter.
func writeHeartbeat(ctx context.Context, rdb redis.UniversalClient, l *fleet.Load, now time.Time) error {
	ms := now.UnixMilli()
	key := edgeKey(l.ID)
	pipe := rdb.Pipeline()
	pipe.HSet(ctx, key, edgeHash(l, ms))
	pipe.PExpire(ctx, key, recordTTL)
	pipe.ZAdd(ctx, keyEdgesSeen, redis.Z{Score: float64(ms), Member: l.ID})
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("%w: heartbeat: %w", ErrRedis, err)
	}
	return nil
}

// edgeHash renders a load as the fields of its edge hash; streams are one
// field of "name\tviewers\tparent" lines. checkLoad keeps tabs and newlines
// out of every part.
func edgeHash(l *fleet.Load, seenMs int64) map[string]string {
	var sb strings.Builder
	for name, s := range l.Streams {
		sb.WriteString(name)
		sb.WriteByte('\t')
		sb.WriteString(strconv.Itoa(s.Viewers))
		sb.WriteByte('\t')
		sb.WriteString(s.Parent)
		sb.WriteByte('\n')
	}
	return map[string]string{
		"url":     l.URL,
		"dc":      l.DC,
		"cap":     strconv.FormatFloat(l.CapacityMbps, 'g', -1, 64),
		"egress":  strconv.FormatFloat(l.EgressMbps, 'g', -1, 64),
		"state":   l.State,
		"seen":    strconv.FormatInt(seenMs, 10),
		"streams": sb.String(),
	}
}

// parseEdge decodes an edge hash; it reports false for a hash that expired
// or is not an edge record.
func parseEdge(id string, h map[string]string) (edgeRecord, bool) {
	seen, err := strconv.ParseInt(h["seen"], 10, 64)
	if err != nil || h["url"] == "" {
		return edgeRecord{}, false
	}
	r := edgeRecord{Seen: time.UnixMilli(seen)}
	r.ID, r.URL, r.DC, r.State = id, h["url"], h["dc"], h["state"]
	r.CapacityMbps, _ = strconv.ParseFloat(h["cap"], 64)
	r.EgressMbps, _ = strconv.ParseFloat(h["egress"], 64)
	if s := h["streams"]; s != "" {
		r.Streams = make(map[string]fleet.StreamLoad, strings.Count(s, "\n"))
		for line := range strings.Lines(s) {
			name, rest, _ := strings.Cut(strings.TrimSuffix(line, "\n"), "\t")
			viewers, parent, _ := strings.Cut(rest, "\t")
			v, _ := strconv.Atoi(viewers)
			if name != "" {
				r.Streams[name] = fleet.StreamLoad{Viewers: max(v, 0), Parent: parent}
			}
		}
	}
	return r, true
}

// writeOrigin stores an origin's report; its one "streams" field replaces
// the previous list at once.
func writeOrigin(ctx context.Context, rdb redis.UniversalClient, rep *fleet.OriginReport, now time.Time) error {
	var sb strings.Builder
	for _, s := range rep.Streams {
		sb.WriteString(s.Name)
		sb.WriteByte('\t')
		sb.WriteString(strconv.FormatFloat(s.BitrateMbps, 'g', -1, 64))
		sb.WriteByte('\n')
	}
	ms := now.UnixMilli()
	key := originKey(rep.URL)
	pipe := rdb.Pipeline()
	pipe.HSet(ctx, key, "streams", sb.String(), "seen", strconv.FormatInt(ms, 10))
	pipe.PExpire(ctx, key, recordTTL)
	pipe.ZAdd(ctx, keyOriginsSeen, redis.Z{Score: float64(ms), Member: rep.URL})
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("%w: origin: %w", ErrRedis, err)
	}
	return nil
}

// originRecord is one origin's report as read back from Redis.
type originRecord struct {
	URL     string
	Seen    time.Time
	Streams []fleet.OriginStream
}

func parseOrigin(url string, h map[string]string) (originRecord, bool) {
	seen, err := strconv.ParseInt(h["seen"], 10, 64)
	if err != nil {
		return originRecord{}, false
	}
	r := originRecord{URL: url, Seen: time.UnixMilli(seen)}
	for line := range strings.Lines(h["streams"]) {
		name, br, _ := strings.Cut(strings.TrimSuffix(line, "\n"), "\t")
		b, _ := strconv.ParseFloat(br, 64)
		if name != "" {
			r.Streams = append(r.Streams, fleet.OriginStream{Name: name, BitrateMbps: b})
		}
	}
	return r, true
}

// cmdErr returns a command's error, treating a missing key as no error.
func cmdErr(c redis.Cmder) error {
	if err := c.Err(); err != nil && !errors.Is(err, redis.Nil) {
		return err
	}
	return nil
}

// execPipe runs a pipeline and returns the first real error of its
// commands; a missing key is not one.
func execPipe(ctx context.Context, pipe redis.Pipeliner) error {
	cmds, err := pipe.Exec(ctx)
	if err != nil && !errors.Is(err, redis.Nil) {
		return err
	}
	for _, c := range cmds {
		if err := cmdErr(c); err != nil {
			return err
		}
	}
	return nil
}

package push

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// framesMetric is the ingest's counter of access units handed to the
// packager, one series per protocol.
const framesMetric = "livetree_ingest_frames_total"

// scrapeFrames reads the ingest's frame counter, summed over protocols,
// from its /metrics; 0 with no error when url is "".
func scrapeFrames(ctx context.Context, url string) (int64, error) {
	if url == "" {
		return 0, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrMetrics, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrMetrics, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("%w: %s answered %s", ErrMetrics, url, resp.Status)
	}
	n, ok := sumCounter(io.LimitReader(resp.Body, 8<<20), framesMetric)
	if !ok {
		return 0, fmt.Errorf("%w: no %s in %s", ErrMetrics, framesMetric, url)
	}
	return n, nil
}

// sumCounter sums every series of a counter in the Prometheus text
// exposition format and reports whether any was found.
func sumCounter(r io.Reader, name string) (int64, bool) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var sum float64
	found := false
	for sc.Scan() {
		line := sc.Bytes()
		rest, ok := bytes.CutPrefix(line, []byte(name))
		if !ok || len(rest) == 0 || (rest[0] != '{' && rest[0] != ' ') {
			continue
		}
		if rest[0] == '{' {
			end := bytes.LastIndexByte(rest, '}')
			if end < 0 {
				continue
			}
			rest = rest[end+1:]
		}
		fields := bytes.Fields(rest)
		if len(fields) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(string(fields[0]), 64)
		if err != nil || !(v >= 0 && v < 1<<62) {
			continue
		}
		sum += v
		found = true
	}
	return int64(sum), found
}

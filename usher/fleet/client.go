package fleet

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// maxReplyBytes caps what the client reads of one usher answer.
const maxReplyBytes = 1 << 20

// caller sends fleet API requests to a list of ushers, sticking to the one
// that answered last and moving on to the next when it fails.
type caller struct {
	ushers []string
	token  string
	client *http.Client
	next   atomic.Uint32 // index of the usher to try first
}

func newCaller(ushers []string, token string, client *http.Client) (*caller, error) {
	c := &caller{token: token, client: client}
	for _, u := range ushers {
		if u = strings.TrimRight(strings.TrimSpace(u), "/"); u != "" {
			c.ushers = append(c.ushers, u)
		}
	}
	if len(c.ushers) == 0 {
		return nil, ErrNoUsher
	}
	if c.client == nil {
		c.client = &http.Client{Timeout: 2 * time.Second}
	}
	return c, nil
}

// do sends one request with an optional JSON body and decodes a JSON
// answer into out when out is not nil. Refusals (401, 403, 404) are
// answers, not failures, so they are returned without trying other ushers.
func (c *caller) do(ctx context.Context, method, pathQuery string, body, out any) error {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return fmt.Errorf("fleet: encode: %w", err)
		}
	}
	first := int(c.next.Load())
	var errs []error
	for k := range c.ushers {
		i := (first + k) % len(c.ushers)
		err := c.once(ctx, method, c.ushers[i]+pathQuery, payload, out)
		if err == nil || errors.Is(err, ErrUnauthorized) || errors.Is(err, ErrUnknownStream) {
			c.next.Store(uint32(i))
			return err
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	c.next.Store(uint32((first + 1) % len(c.ushers)))
	return errors.Join(errs...)
}

func (c *caller) once(ctx context.Context, method, url string, payload []byte, out any) error {
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return fmt.Errorf("fleet: %w", err)
	}
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return fmt.Errorf("fleet: %w", err)
	}
	defer resp.Body.Close()
	lr := io.LimitReader(resp.Body, maxReplyBytes)
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return fmt.Errorf("%w: %s: HTTP %d", ErrUnauthorized, url, resp.StatusCode)
	case resp.StatusCode == http.StatusNotFound:
		return fmt.Errorf("%w: %s", ErrUnknownStream, url)
	case resp.StatusCode/100 != 2:
		return &StatusError{URL: url, Status: resp.StatusCode}
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		_, _ = io.Copy(io.Discard, lr)
		return nil
	}
	if err := json.NewDecoder(lr).Decode(out); err != nil {
		return fmt.Errorf("fleet: %s: decode: %w", url, err)
	}
	return nil
}

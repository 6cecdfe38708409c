package fleet

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
)

// ParentPickerConfig configures a ParentPicker.
type ParentPickerConfig struct {
	// Ushers are usher base URLs, as for HeartbeaterConfig.
	Ushers []string
	// Token is the fleet token.
	Token string
	// EdgeID is the asking edge's ID, as in its heartbeats.
	EdgeID string
	// Client, if set, sends the requests.
	Client *http.Client
}

// ParentPicker asks usher which server an edge should pull a stream from.
// It is safe for concurrent use.
type ParentPicker struct {
	edge string
	c    *caller
}

// NewParentPicker checks cfg and returns a ParentPicker.
func NewParentPicker(cfg ParentPickerConfig) (*ParentPicker, error) {
	if cfg.EdgeID == "" {
		return nil, errors.New("fleet: parent picker needs the edge ID")
	}
	c, err := newCaller(cfg.Ushers, cfg.Token, cfg.Client)
	if err != nil {
		return nil, err
	}
	return &ParentPicker{edge: cfg.EdgeID, c: c}, nil
}

// Parent returns the base URL to pull stream from: a parent edge or the
// origin. It fails with ErrUnknownStream when usher knows no origin for
// the stream.
func (p *ParentPicker) Parent(ctx context.Context, stream string) (string, error) {
	q := url.Values{"stream": {stream}, "edge": {p.edge}}
	var r ParentReply
	if err := p.c.do(ctx, http.MethodGet, PathParent+"?"+q.Encode(), nil, &r); err != nil {
		return "", err
	}
	if r.Parent == "" {
		return "", fmt.Errorf("fleet: usher gave no parent for %s", stream)
	}
	return r.Parent, nil
}

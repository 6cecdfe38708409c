package cdn

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/livetree/livetree/cdn/delivery"
	"github.com/livetree/livetree/usher/token"
)

// Access decides who may fetch from a server, origin or edge. Viewers
// prove they were sent by usher with the playback token usher put in their
// URL (?token=, carried by the playlists onto every URI they list); child
// edges prove they belong to the fleet with the fleet token
// (Authorization: Bearer). The zero Access lets everyone in, which only
// suits development.
type Access struct {
	// Tokens, if set, checks the token of every request for
	// /live/{stream}/...: it must be valid for that stream, now, and for
	// the client's address when the token is bound to one.
	Tokens *token.Verifier
	// FleetToken, if set, is the bearer token a feed request must carry.
	FleetToken string
}

// NewAccess returns the Access for a set of playback token keys (none:
// viewers need no token) and a fleet token (empty: feeds need none).
func NewAccess(tokenKeys map[string][]byte, fleetToken string) (Access, error) {
	a := Access{FleetToken: fleetToken}
	if len(tokenKeys) == 0 {
		return a, nil
	}
	v, err := token.NewVerifier(tokenKeys)
	if err != nil {
		return Access{}, err
	}
	a.Tokens = v
	return a, nil
}

// CheckViewer returns nil when the request may fetch files of stream, or
// an error wrapping ErrForbidden that says why not.
func (a *Access) CheckViewer(ctx *fasthttp.RequestCtx, stream []byte, client netip.Addr, now time.Time) error {
	if a.Tokens == nil {
		return nil
	}
	return a.checkToken(ctx.QueryArgs().Peek("token"), stream, client, now)
}

// AdmitViewer is CheckViewer for the delivery fast path (a delivery.Admit),
// which hands it the raw query of a request, for a playlist or not; a
// refusal goes on to the full server, which answers it with CheckViewer's
// reason.
func (a *Access) AdmitViewer(stream, query []byte, _ bool, client netip.Addr, now time.Time) bool {
	if a.Tokens == nil {
		return true
	}
	return a.checkToken(delivery.QueryValue(query, "token"), stream, client, now) == nil
}

func (a *Access) checkToken(tok, stream []byte, client netip.Addr, now time.Time) error {
	if len(tok) == 0 {
		return fmt.Errorf("%w: %w", ErrForbidden, ErrTokenMissing)
	}
	if err := a.Tokens.Verify(string(tok), string(stream), now, client); err != nil {
		return fmt.Errorf("%w: %w", ErrForbidden, err)
	}
	return nil
}

// CheckChild returns nil when a feed request carries the fleet token,
// ErrUnauthorized when it carries none, and ErrForbidden when it carries
// another.
func (a *Access) CheckChild(ctx *fasthttp.RequestCtx) error {
	if a.FleetToken == "" {
		return nil
	}
	return checkBearer(ctx.Request.Header.Peek("Authorization"), a.FleetToken)
}

// checkBearer compares "Bearer <token>" with want. Digests of equal length
// are compared, so the time taken reveals neither the token nor its
// length.
func checkBearer(header []byte, want string) error {
	got, ok := bytes.CutPrefix(header, []byte("Bearer "))
	if !ok || len(got) == 0 {
		return ErrUnauthorized
	}
	g, w := sha256.Sum256(got), sha256.Sum256([]byte(want))
	if subtle.ConstantTimeCompare(g[:], w[:]) != 1 {
		return fmt.Errorf("%w: %w", ErrForbidden, ErrWrongFleetToken)
	}
	return nil
}

// refusal is the body of a 401 or 403 answer: what a player's or an
// operator's log should say, without echoing the token.
func refusal(err error) string {
	switch {
	case errors.Is(err, ErrTokenMissing):
		return "playback token missing: start from usher's /live/{stream}/index.m3u8 or manifest.mpd\n"
	case errors.Is(err, token.ErrExpired):
		return "playback token expired: ask usher again\n"
	case errors.Is(err, token.ErrWrongStream):
		return "playback token is for another stream\n"
	case errors.Is(err, token.ErrWrongIP):
		return "playback token is bound to another client address\n"
	case errors.Is(err, token.ErrUnknownKey):
		return "playback token signed with an unknown key\n"
	case errors.Is(err, token.ErrMalformed), errors.Is(err, token.ErrBadSignature):
		return "playback token invalid\n"
	case errors.Is(err, ErrWrongFleetToken):
		return "wrong fleet token\n"
	case errors.Is(err, ErrUnauthorized):
		return "bearer token required\n"
	}
	return "forbidden\n"
}

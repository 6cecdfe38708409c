package usher

import (
	"net/netip"
	"sync"
	"time"

	"github.com/livetree/livetree/usher/token"
)

// tokenReuse is how long one unbound token is handed out before a fresh
// one is signed; every token then stays valid for at least TTL − tokenReuse.
const tokenReuse = time.Minute

// tokenCache signs playback tokens. Unbound tokens are the same for every
// viewer of a stream, so each is signed once per tokenReuse instead of once
// per redirect.
type tokenCache struct {
	signer *token.Signer
	ttl    time.Duration
	bindIP bool
	m      sync.Map // stream → *cachedToken
}

type cachedToken struct {
	until time.Time // hand out until then
	exp   time.Time
	tok   string
}

func newTokenCache(signer *token.Signer, ttl time.Duration, bindIP bool) *tokenCache {
	return &tokenCache{signer: signer, ttl: ttl, bindIP: bindIP}
}

// get returns a token for stream and its expiry.
func (c *tokenCache) get(stream string, now time.Time, ip netip.Addr) (string, time.Time, error) {
	if c.bindIP && ip.IsValid() {
		exp := now.Add(c.ttl)
		tok, err := c.signer.Sign(stream, exp, ip)
		return tok, exp, err
	}
	if v, ok := c.m.Load(stream); ok {
		if ct := v.(*cachedToken); now.Before(ct.until) {
			return ct.tok, ct.exp, nil
		}
	}
	exp := now.Add(c.ttl)
	tok, err := c.signer.Sign(stream, exp, netip.Addr{})
	if err != nil {
		return "", time.Time{}, err
	}
	c.m.Store(stream, &cachedToken{until: now.Add(tokenReuse), exp: exp, tok: tok})
	return tok, exp, nil
}

// forget drops the cached tokens of streams no longer offered, so the
// cache does not grow with every stream ever seen.
func (c *tokenCache) forget(keep func(stream string) bool) {
	c.m.Range(func(k, _ any) bool {
		if !keep(k.(string)) {
			c.m.Delete(k)
		}
		return true
	})
}

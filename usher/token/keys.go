package token

import (
	"fmt"
	"strings"
)

// ParseKeys parses playback token keys as the -token-keys flags of usher,
// edges and ingest take them: "id:secret,id:secret". The first key is the
// current one, which usher signs with. Errors give an item's position,
// never its text, which may be a bare secret.
func ParseKeys(s string) (keys map[string][]byte, current string, err error) {
	keys = map[string][]byte{}
	for n, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		id, secret, ok := strings.Cut(item, ":")
		if !ok || id == "" || secret == "" {
			return nil, "", fmt.Errorf("%w: token key #%d is not id:secret", ErrBadKey, n+1)
		}
		if _, dup := keys[id]; dup {
			return nil, "", fmt.Errorf("%w: token key %q listed twice", ErrBadKey, id)
		}
		keys[id] = []byte(secret)
		if current == "" {
			current = id
		}
	}
	return keys, current, nil
}

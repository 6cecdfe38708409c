package cdn

import (
	"strconv"
	"testing"

	"github.com/valyala/fasthttp"
)

// FuzzFeedRequest parses arbitrary feed request URIs: never a panic, and
// whatever parses names a valid stream and survives a round trip.
func FuzzFeedRequest(f *testing.F) {
	for _, s := range []string{"/feed/s", "/feed/s?from=12", "/feed/a_b-C9?from=0&x=1", "/feed/", "/feed/s?from=-1",
		"/feed/s?from=18446744073709551616", "/feed/bad.name", "/live/s/index.m3u8"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, uri string) {
		var ctx fasthttp.RequestCtx
		ctx.Request.SetRequestURI(uri)
		name, from, err := parseFeedRequest(&ctx)
		if err != nil {
			return
		}
		if !validStreamName([]byte(name)) {
			t.Fatalf("%q parsed to invalid name %q", uri, name)
		}
		again := FeedPath + name
		if from.Valid {
			again += "?from=" + strconv.FormatUint(from.MSN, 10)
		}
		var ctx2 fasthttp.RequestCtx
		ctx2.Request.SetRequestURI(again)
		name2, from2, err := parseFeedRequest(&ctx2)
		if err != nil || name2 != name || from2 != from {
			t.Fatalf("%q: round trip %q gave %q %+v %v", uri, again, name2, from2, err)
		}
	})
}

package cdn

import (
	"errors"
	"net/netip"
	"strconv"
	"testing"
	"time"

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

// FuzzAccess checks arbitrary Authorization headers and request URIs
// against an Access with a fleet token and token keys: never a panic, a
// feed is let in only with exactly the fleet token, and a viewer only
// with a token of the stream in the path.
func FuzzAccess(f *testing.F) {
	for _, s := range [][2]string{
		{"Bearer " + testFleetToken, "/live/s/index.m3u8?token=abc"},
		{"Bearer ", "/live/s/index.m3u8?token="},
		{"bearer " + testFleetToken, "/live/s/video.m3u8"},
		{"Bearer " + testFleetToken + " ", "/live/s/index.m3u8?token=AQAAAAAAAms xAAAA"},
		{"Basic Zm9vOmJhcg==", "/live/s/index.m3u8?token=%00%ff"},
	} {
		f.Add(s[0], s[1])
	}
	a, err := NewAccess(testTokenKeys, testFleetToken)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, auth, uri string) {
		var ctx fasthttp.RequestCtx
		ctx.Request.Header.Set("Authorization", auth)
		ctx.Request.SetRequestURI(uri)
		if err := a.CheckChild(&ctx); (err == nil) != (string(ctx.Request.Header.Peek("Authorization")) == "Bearer "+testFleetToken) {
			t.Fatalf("Authorization %q: %v", auth, err)
		}
		if err := a.CheckViewer(&ctx, []byte("s"), netip.Addr{}, time.Now()); err == nil {
			// Only a signed token passes, and the fuzzer cannot sign.
			t.Fatalf("%q let a viewer in", uri)
		} else if !errors.Is(err, ErrForbidden) || refusal(err) == "" {
			t.Fatalf("%q: %v", uri, err)
		}
	})
}

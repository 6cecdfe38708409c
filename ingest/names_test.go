package ingest

import (
	"context"
	"errors"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var nameCases = []struct {
	name string
	in   string
	ok   bool
}{
	{"simple", "live1", true},
	{"all classes", "A-z_0-9", true},
	{"max length", strings.Repeat("a", 64), true},
	{"empty", "", false},
	{"too long", strings.Repeat("a", 65), false},
	{"300 bytes", strings.Repeat("x", 300), false},
	{"dot dot slash", "../etc", false},
	{"slash", "a/b", false},
	{"dot", "a.b", false},
	{"NUL", "a\x00b", false},
	{"space", "a b", false},
	{"percent", "a%2F", false},
	{"unicode", "caf\u00e9", false},
	{"newline", "a\nb", false},
}

func TestValidName(t *testing.T) {
	for _, c := range nameCases {
		t.Run(c.name, func(t *testing.T) {
			if got := ValidName(c.in); got != c.ok {
				t.Errorf("ValidName(%q) = %v, want %v", c.in, got, c.ok)
			}
		})
	}
}

func TestParsePushPath(t *testing.T) {
	cases := []struct {
		name, path, want string
		err              error
	}{
		{"ok", "/ingest/cam1", "cam1", nil},
		{"dot dot", "/ingest/../cam1", "", ErrBadName},
		{"dot dot inside", "/ingest/a/../b", "", ErrBadName},
		{"encoded slash", "/ingest/a%2Fb", "", ErrBadName},
		{"encoded NUL", "/ingest/a%00", "", ErrBadName},
		{"trailing slash", "/ingest/cam1/", "", ErrBadName},
		{"no name", "/ingest/", "", ErrBadName},
		{"other prefix", "/push/cam1", "", ErrBadName},
		{"300 bytes", "/ingest/" + strings.Repeat("y", 300), "", ErrBadName},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := parsePushPath(c.path)
			if !errors.Is(err, c.err) || (c.err == nil && err != nil) {
				t.Fatalf("parsePushPath(%q) error %v, want %v", c.path, err, c.err)
			}
			if err == nil && got != c.want {
				t.Errorf("parsePushPath(%q) = %q, want %q", c.path, got, c.want)
			}
		})
	}
}

func TestParseRTMPURL(t *testing.T) {
	cases := []struct {
		name, url, stream, key string
		err                    error
	}{
		{"ffmpeg style", "rtmp://h:1935/live/cam1?key=s3cret", "cam1", "s3cret", nil},
		{"no key", "rtmp://h/live/cam1", "cam1", "", nil},
		{"other app", "rtmp://h/app/cam1?key=k", "", "", ErrBadName},
		{"no stream", "rtmp://h/live/", "", "", ErrBadName},
		{"dot dot", "rtmp://h/live/../x?key=k", "", "", ErrBadName},
		{"nested", "rtmp://h/live/a/b?key=k", "", "", ErrBadName},
		{"encoded dot dot", "rtmp://h/live/%2e%2e%2fx?key=k", "", "", ErrBadName},
		{"long", "rtmp://h/live/" + strings.Repeat("z", 300), "", "", ErrBadName},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u, err := url.Parse(c.url)
			if err != nil {
				t.Fatal(err)
			}
			stream, key, err := parseRTMPURL(u)
			if !errors.Is(err, c.err) || (c.err == nil && err != nil) {
				t.Fatalf("error %v, want %v", err, c.err)
			}
			if stream != c.stream || key != c.key {
				t.Errorf("got (%q, %q), want (%q, %q)", stream, key, c.stream, c.key)
			}
		})
	}
}

// FuzzStreamName checks the name and key parsing of both protocols: what is
// accepted matches the documented pattern, and no error ever quotes the key.
func FuzzStreamName(f *testing.F) {
	for _, c := range nameCases {
		f.Add(c.in, "key")
	}
	f.Add("cam1", "s3cret")
	pattern := regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	f.Fuzz(func(t *testing.T, name, key string) {
		if ValidName(name) != pattern.MatchString(name) {
			t.Fatalf("ValidName(%q) disagrees with the pattern", name)
		}
		if got, err := parsePushPath(pushPrefix + name); err == nil && (got != name || !pattern.MatchString(got)) {
			t.Fatalf("parsePushPath accepted %q as %q", name, got)
		}
		u, err := url.Parse("rtmp://h/live/" + name + "?key=" + url.QueryEscape(key))
		if err != nil {
			return
		}
		stream, gotKey, err := parseRTMPURL(u)
		if err == nil && !pattern.MatchString(stream) {
			t.Fatalf("parseRTMPURL(%q) accepted stream %q", u, stream)
		}
		// A valid name leaves the URL's structure alone, so it and the key
		// must come back intact.
		if ValidName(name) && (err != nil || stream != name || gotKey != key) {
			t.Fatalf("parseRTMPURL(%q) = (%q, %q, %v)", u, stream, gotKey, err)
		}
		keys, _ := ParseKeys(strings.NewReader("cam1 right\n"))
		if ValidName(name) {
			err := keys.CheckKey(context.Background(), name, key)
			if err != nil && err.Error() != ErrBadKey.Error()+" for stream "+name {
				t.Fatalf("key check error says more than it should: %v", err)
			}
			if (err == nil) != (name == "cam1" && key == "right") {
				t.Fatalf("CheckKey(%q, %q) = %v", name, key, err)
			}
		}
	})
}

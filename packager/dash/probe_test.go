package dash

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/livetree/livetree/internal/tooltest"
	"github.com/livetree/livetree/packager/packagertest"
	"github.com/livetree/livetree/packager/window"
)

// TestFFprobeReadsMPD has ffprobe open the MPD of an ended single-publish
// stream over HTTP and find both tracks, fetching objects with the MPD's
// query.
func TestFFprobeReadsMPD(t *testing.T) {
	ffprobe := tooltest.Need(t, "ffprobe")
	st := packagertest.Recorded(t, 1).Replay(t, 0)
	st.End()
	r := NewRenderer()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, q *http.Request) {
		name := strings.TrimPrefix(q.URL.Path, "/live/live/")
		if name == "manifest.mpd" {
			w.Header().Set("Content-Type", "application/dash+xml")
			w.Write(r.MPD(st, time.Now(), Options{Query: q.URL.RawQuery}))
			return
		}
		if q.URL.RawQuery != "token=abc" {
			http.Error(w, "no token", http.StatusForbidden)
			return
		}
		n, err := window.ParseObjectName(name)
		if err != nil {
			http.NotFound(w, q)
			return
		}
		id, _ := window.TrackIDOf(n.Kind)
		tr, _ := st.Track(id, false)
		var body []byte
		if n.Type == window.ObjInit {
			if in := tr.InitByEpoch(n.Epoch); in != nil {
				body = in.Data
			}
		} else if seg, ok := tr.Segment(n.MSN); ok && n.Type == window.ObjSegment {
			body, _ = seg.Bytes(0)
		}
		if body == nil {
			http.NotFound(w, q)
			return
		}
		http.ServeContent(w, q, name, time.Time{}, bytes.NewReader(body))
	}))
	defer srv.Close()
	out, err := exec.Command(ffprobe, "-v", "error", "-show_entries", "stream=codec_name", "-of", "csv=p=0",
		srv.URL+"/live/live/manifest.mpd?token=abc").CombinedOutput()
	if err != nil {
		t.Fatalf("ffprobe: %v\n%s", err, out)
	}
	got := strings.Fields(string(out))
	if !slices.Contains(got, "h264") || !slices.Contains(got, "aac") {
		t.Fatalf("ffprobe found %q", got)
	}
}

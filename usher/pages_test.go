package usher

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestPages checks that usher serves the viewer pages and that the index
// lists the streams origins have registered.
func TestPages(t *testing.T) {
	cfg := testConfig(testRedisURL(t))
	cfg.PublishURL = "rtmp://ingest.test:1935/live"
	srv := startServer(t, cfg)
	startOrigin(t, srv, 2.5, "cam")

	for _, p := range []string{"/", "/watch/cam", "/static/player.js", "/static/vendor/hls.min.js", "/time"} {
		resp, err := http.Get(srv.url + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %s", p, resp.Status)
		}
	}
	deadline := time.Now().Add(3 * time.Second)
	for {
		resp, err := http.Get(srv.url + "/api/streams")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var got struct {
			Streams []struct {
				Name        string  `json:"name"`
				BitrateMbps float64 `json:"bitrate_mbps"`
			} `json:"streams"`
			RTMP string `json:"rtmp"`
		}
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatalf("%v: %s", err, body)
		}
		if len(got.Streams) == 1 && got.Streams[0].Name == "cam" && got.Streams[0].BitrateMbps == 2.5 &&
			strings.HasPrefix(got.RTMP, "rtmp://ingest.test") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("index lists %s", body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

package usher

import (
	"encoding/json"
	"maps"
	"testing"
	"time"

	"github.com/livetree/livetree/usher/fleet"
)

// heartbeatSeeds are heartbeat bodies as edges send them, and a few that
// checkLoad must refuse.
var heartbeatSeeds = []string{
	`{"id":"e1","url":"http://e1.test","dc":"fra","capacity_mbps":1000,"egress_mbps":12.5}`,
	`{"id":"e2","url":"https://e2.test:8443","dc":"ams","capacity_mbps":100,"egress_mbps":0,"state":"draining","streams":{"a":{"viewers":3,"parent":"http://e1.test"},"b-2":{"viewers":0}}}`,
	`{"id":"tab\tid","url":"http://x.test"}`,
	`{"id":"e3","url":"http://e3.test","streams":{"s":{"viewers":1,"parent":"http://p.test\n"}}}`,
	`{"id":"e4","url":"ftp://e4.test"}`,
	`{"id":"e5","url":"http://e5.test","capacity_mbps":-1}`,
	`{"id":"e6","url":"http://e6.test","streams":{"bad/name":{"viewers":1}}}`,
}

// FuzzHeartbeat checks that every heartbeat body checkLoad accepts survives
// the trip through its Redis hash unchanged, and that nothing panics.
func FuzzHeartbeat(f *testing.F) {
	for _, s := range heartbeatSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var l fleet.Load
		if json.Unmarshal(body, &l) != nil || checkLoad(&l) != nil {
			return
		}
		seen := time.UnixMilli(1_800_000_000_123)
		got, ok := parseEdge(l.ID, edgeHash(&l, seen.UnixMilli()))
		if !ok {
			t.Fatalf("accepted load %+v does not parse back", l)
		}
		if got.URL != l.URL || got.DC != l.DC || got.State != l.State || !got.Seen.Equal(seen) ||
			got.CapacityMbps != l.CapacityMbps || got.EgressMbps != l.EgressMbps {
			t.Fatalf("round trip changed the load: %+v → %+v", l, got.Load)
		}
		if len(l.Streams) != len(got.Streams) || (len(l.Streams) > 0 && !maps.Equal(l.Streams, got.Streams)) {
			t.Fatalf("round trip changed the streams: %v → %v", l.Streams, got.Streams)
		}
	})
}

// FuzzRecords feeds arbitrary Redis values to the record and tree parsers.
func FuzzRecords(f *testing.F) {
	f.Add("a\t3\thttp://p.test\nb\t0\t\n", "a\t2.5\nb\t0\n", "s\te1\t\thttp://o.test\t1\ns\te2\te1\thttp://e1.test\t2\n")
	f.Add("\t\t\n\n", "x\tNaN\n", "s\te1\n")
	f.Add("a\t-5\tx\ty\n", "a\t1e400\n", "s\ts\ts\ts\tzz\n")
	f.Fuzz(func(t *testing.T, streams, origin, trees string) {
		if e, ok := parseEdge("id", map[string]string{"seen": "1", "url": "http://x", "streams": streams}); ok {
			for _, s := range e.Streams {
				if s.Viewers < 0 {
					t.Fatalf("negative viewers from %q", streams)
				}
			}
		}
		parseOrigin("http://o", map[string]string{"seen": "1", "streams": origin})
		ts := decodeTrees(trees)
		if again := decodeTrees(ts.encode()); again.encode() != ts.encode() {
			t.Fatalf("tree encoding is not stable for %q", trees)
		}
	})
}

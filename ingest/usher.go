package ingest

import (
	"net"
	"time"

	"github.com/livetree/livetree/packager/window"
	"github.com/livetree/livetree/usher/fleet"
)

// bitrateSegments is how many of a track's newest complete segments its
// bitrate is measured over.
const bitrateSegments = 3

// newRegistrar returns the registrar announcing the server's streams to
// usher, or nil without usher. addr is the bound HTTP address, for a
// default public URL.
func (s *Server) newRegistrar(addr net.Addr) (*fleet.OriginRegistrar, error) {
	if len(s.cfg.Ushers) == 0 {
		return nil, nil
	}
	public := s.cfg.PublicURL
	if public == "" {
		public = "http://" + addr.String()
	}
	return fleet.NewOriginRegistrar(fleet.OriginRegistrarConfig{
		Ushers:   s.cfg.Ushers,
		Token:    s.cfg.FleetToken,
		URL:      public,
		Interval: s.cfg.RegisterInterval,
		Streams:  s.originStreams,
	}, s.baseLog)
}

// originStreams lists the streams viewers can watch here: every window
// that has not ended, with what one viewer of it costs.
func (s *Server) originStreams() []fleet.OriginStream {
	names := s.streams.Names()
	out := make([]fleet.OriginStream, 0, len(names))
	for _, name := range names {
		st := s.streams.Get(name)
		if st == nil || st.Ended() {
			continue
		}
		out = append(out, fleet.OriginStream{Name: name, BitrateMbps: bitrateMbps(st)})
	}
	return out
}

// bitrateMbps measures what a viewer of st downloads per second, every
// track and the container's overhead included, over each track's newest
// complete segments. It is 0, which lets usher assume its default, until
// every track has one complete segment.
func bitrateMbps(st *window.Stream) float64 {
	total := 0.0
	tracks := st.Tracks()
	for _, tr := range tracks {
		var bytes int
		var d time.Duration
		segs := tr.Segments()
		for i, n := len(segs)-1, 0; i >= 0 && n < bitrateSegments; i-- {
			if !segs[i].Complete() {
				continue
			}
			bytes += segs[i].Size()
			d += segs[i].Duration()
			n++
		}
		if d <= 0 {
			return 0
		}
		total += float64(bytes) * 8 / d.Seconds() / 1e6
	}
	return total
}

package dash

import (
	"github.com/livetree/livetree/packager/packagertest"
)

// baseWall is the ingest wall clock of the sample's first frame, fixed so
// that playlists are byte-for-byte reproducible.
var baseWall = packagertest.Wall

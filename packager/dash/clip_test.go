package dash

import (
	"os"
	"os/exec"
	"testing"

	"github.com/livetree/livetree/packager/packagertest"
)

// baseWall is the ingest wall clock of the sample's first frame, fixed so
// that playlists are byte-for-byte reproducible.
var baseWall = packagertest.Wall

// needTool returns the path of an external tool. Outside CI a missing tool
// skips the test; in CI it fails it.
func needTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required in CI: %v", name, err)
		}
		t.Skipf("%s not installed", name)
	}
	return p
}

package usher

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/livetree/livetree/usher/fleet"
)

func TestAdminAPI(t *testing.T) {
	srv, _ := twoDCFleet(t, nil, "adm")
	for range 3 {
		play(t, srv, "adm", "")
	}
	t.Run("streams", func(t *testing.T) {
		st, b := adminDo(t, srv, http.MethodGet, "/admin/streams", testAdminToken, "")
		var list []adminStream
		if st != http.StatusOK || json.Unmarshal(b, &list) != nil || len(list) != 1 || list[0].Name != "adm" || list[0].Origin != "http://origin.test" {
			t.Errorf("%d %s", st, b)
		}
	})
	t.Run("tree", func(t *testing.T) {
		waitFor(t, 3*time.Second, "a tree", func() bool {
			st, b := adminDo(t, srv, http.MethodGet, "/admin/streams/adm/tree", testAdminToken, "")
			return st == http.StatusOK && strings.Contains(string(b), `"parent_url":"http://origin.test"`)
		})
		if st, _ := adminDo(t, srv, http.MethodGet, "/admin/streams/none/tree", testAdminToken, ""); st != http.StatusNotFound {
			t.Errorf("unknown stream tree: %d", st)
		}
	})
	t.Run("dials", func(t *testing.T) {
		st, b := adminDo(t, srv, http.MethodPut, "/admin/dials", testAdminToken, `{"fanout":"7","cost:dc-b":"0.5"}`)
		if st != http.StatusNoContent {
			t.Fatalf("put: %d %s", st, b)
		}
		waitFor(t, 3*time.Second, "dials to apply", func() bool {
			_, b := adminDo(t, srv, http.MethodGet, "/admin/dials", testAdminToken, "")
			var h map[string]string
			return json.Unmarshal(b, &h) == nil && h["fanout"] == "7" && h["cost:dc-b"] == "0.5"
		})
		if st, _ := adminDo(t, srv, http.MethodPut, "/admin/dials", testAdminToken, `{"headroom":"7"}`); st != http.StatusBadRequest {
			t.Errorf("invalid dials: %d, want 400", st)
		}
		if st, _ := adminDo(t, srv, http.MethodPut, "/admin/dials", testAdminToken, `[1]`); st != http.StatusBadRequest {
			t.Errorf("malformed dials: %d, want 400", st)
		}
	})
	t.Run("stream keys", func(t *testing.T) {
		if st, _ := adminDo(t, srv, http.MethodPut, "/admin/keys/adm", testAdminToken, "k-123"); st != http.StatusNoContent {
			t.Fatalf("put key: %d", st)
		}
		kc := fleet.NewKeyChecker(srv.Redis())
		if err := kc.CheckKey(context.Background(), "adm", "k-123"); err != nil {
			t.Errorf("key set by admin refused: %v", err)
		}
		if st, _ := adminDo(t, srv, http.MethodDelete, "/admin/keys/adm", testAdminToken, ""); st != http.StatusNoContent {
			t.Fatalf("delete key: %d", st)
		}
		if err := kc.CheckKey(context.Background(), "adm", "k-123"); err == nil {
			t.Error("deleted key accepted")
		}
	})
	t.Run("not found and method", func(t *testing.T) {
		if st, _ := adminDo(t, srv, http.MethodGet, "/admin/nothing", testAdminToken, ""); st != http.StatusNotFound {
			t.Errorf("unknown path: %d", st)
		}
		if st, _ := adminDo(t, srv, http.MethodGet, "/admin/edges/a1/drain", testAdminToken, ""); st != http.StatusMethodNotAllowed {
			t.Errorf("GET drain: %d", st)
		}
	})
}

package ingest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseKeys(t *testing.T) {
	cases := []struct {
		name    string
		file    string
		streams int
		err     string
	}{
		{"empty", "", 0, ""},
		{"comments and blanks", "# keys\n\n  # indented\ncam1 k1\n\ncam2\tk2  \n", 2, ""},
		{"one field", "cam1\n", 0, "line 1"},
		{"three fields", "cam1 k1 extra\n", 0, "line 1"},
		{"bad name", "# x\n../x k\n", 0, "line 2"},
		{"duplicate", "a k\na k2\n", 0, "listed twice"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k, err := ParseKeys(strings.NewReader(c.file))
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want one mentioning %q", err, c.err)
				}
				if strings.Contains(err.Error(), "k2") || strings.Contains(err.Error(), "extra") {
					t.Fatalf("error quotes a key: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if k.Len() != c.streams {
				t.Errorf("%d streams, want %d", k.Len(), c.streams)
			}
		})
	}
}

func TestKeysCheck(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys")
	if err := os.WriteFile(path, []byte("cam1 right\ncam2 other\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	k, err := LoadKeys(path)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, stream, key string
		ok                bool
	}{
		{"right", "cam1", "right", true},
		{"wrong", "cam1", "wrong", false},
		{"prefix", "cam1", "righ", false},
		{"longer", "cam1", "rightt", false},
		{"empty", "cam1", "", false},
		{"other stream's key", "cam1", "other", false},
		{"unknown stream", "cam3", "right", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := k.CheckKey(context.Background(), c.stream, c.key)
			if c.ok != (err == nil) {
				t.Fatalf("CheckKey = %v, want ok=%v", err, c.ok)
			}
			if err != nil && !errors.Is(err, ErrBadKey) {
				t.Errorf("error %v does not wrap ErrBadKey", err)
			}
			if err != nil && c.key != "" && strings.Contains(err.Error(), c.key) {
				t.Errorf("error quotes the key: %v", err)
			}
		})
	}
	if _, err := LoadKeys(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("LoadKeys of a missing file succeeded")
	}
}

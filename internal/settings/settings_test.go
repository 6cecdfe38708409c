package settings

import (
	"flag"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestFromEnv(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	timeout := fs.Duration("stall-timeout", time.Second, "")
	name := fs.String("name", "flag", "")
	if err := fs.Parse([]string{"-name", "cli"}); err != nil {
		t.Fatal(err)
	}
	t.Setenv("LIVETREE_STALL_TIMEOUT", "3s")
	t.Setenv("LIVETREE_NAME", "env")
	if err := FromEnv(fs); err != nil {
		t.Fatal(err)
	}
	if *timeout != 3*time.Second || *name != "env" {
		t.Fatalf("got %v %q, want the environment's values", *timeout, *name)
	}

	t.Setenv("LIVETREE_STALL_TIMEOUT", "soon")
	err := FromEnv(fs)
	if err == nil || !strings.Contains(err.Error(), "LIVETREE_STALL_TIMEOUT") {
		t.Fatalf("bad value: got %v, want an error naming the variable", err)
	}
}

func TestList(t *testing.T) {
	for in, want := range map[string][]string{
		"":                 nil,
		" , ,":             nil,
		"a":                {"a"},
		" http://a ,, b ,": {"http://a", "b"},
	} {
		if got := List(in); !slices.Equal(got, want) {
			t.Errorf("List(%q) = %q, want %q", in, got, want)
		}
	}
}

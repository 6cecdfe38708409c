package window

import (
	"fmt"
	"testing"
)

func TestOnRemove(t *testing.T) {
	all := NewStreams()
	var got []string
	stop := all.OnRemove(func(st *Stream) { got = append(got, st.Name()) })
	a, b := NewStream("a", Config{}), NewStream("a", Config{})
	all.Add(a)
	all.Add(a) // the same stream again is no replacement
	all.Add(b) // replaces a
	all.Remove("a")
	all.Remove("missing")
	stop()
	all.Add(NewStream("c", Config{}))
	all.Remove("c")
	if want := []string{"a", "a"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("removals seen %v, want %v", got, want)
	}
}

package hls

import "github.com/livetree/livetree/packager/window"

// template is a rendered playlist with the places where a request's Query
// goes, so that one rendering serves every viewer whatever their token.
type template struct {
	b   []byte
	ins []insertion
}

// insertion is where a Query goes: at byte at, after separator sep, which
// is '?' for a bare URI and '&' for one with a query of its own.
type insertion struct {
	at  int
	sep byte
}

func (t *template) str(s string) { t.b = append(t.b, s...) }

func (t *template) byte(c byte) { t.b = append(t.b, c) }

// name appends an object's URI.
func (t *template) name(n window.ObjectName) {
	t.b = n.AppendTo(t.b)
	t.ins = append(t.ins, insertion{at: len(t.b), sep: '?'})
}

// playlist appends a media playlist's URI, carrying byte-range mode along.
func (t *template) playlist(kind string, byteRange bool) {
	t.str(kind)
	t.str(".m3u8")
	sep := byte('?')
	if byteRange {
		t.str("?lt_byterange=1")
		sep = '&'
	}
	t.ins = append(t.ins, insertion{at: len(t.b), sep: sep})
}

// with returns the playlist with query added to every URI. It returns the
// template's own bytes when query is empty.
func (t *template) with(query string) []byte {
	if query == "" || len(t.ins) == 0 {
		return t.b
	}
	out := make([]byte, 0, len(t.b)+len(t.ins)*(1+len(query)))
	from := 0
	for _, in := range t.ins {
		out = append(out, t.b[from:in.at]...)
		out = append(out, in.sep)
		out = append(out, query...)
		from = in.at
	}
	return append(out, t.b[from:]...)
}

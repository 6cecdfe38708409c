package fuzzseed

import "testing"

func TestEncode(t *testing.T) {
	got := string(Encode([]byte("a\x00\"b"), "ünï", uint16(7), true))
	want := "go test fuzz v1\n[]byte(\"a\\x00\\\"b\")\nstring(\"\\u00fcn\\u00ef\")\nuint16(7)\nbool(true)\n"
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	clipped := Clip(2, []byte("abcdef"), "abcdef")
	if string(clipped[0].([]byte)) != "ab" || clipped[1].(string) != "abcdef" {
		t.Fatalf("clipped %q", clipped)
	}
}

package token

import "testing"

func TestParseKeys(t *testing.T) {
	tests := []struct {
		in      string
		n       int
		current string
		wantErr bool
	}{
		{"a:0123456789abcdef", 1, "a", false},
		{"new:0123456789abcdef, old:fedcba9876543210", 2, "new", false},
		{"nokey", 0, "", true},
		{"a:x,a:y", 0, "", true},
		{":secret", 0, "", true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			keys, cur, err := ParseKeys(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err %v", err)
			}
			if err == nil && (len(keys) != tc.n || cur != tc.current) {
				t.Errorf("keys %d current %q", len(keys), cur)
			}
		})
	}
}

package report

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// checkXML fails unless frag is well-formed XML.
func checkXML(t *testing.T, frag string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(frag))
	d.Strict = true
	for {
		_, err := d.Token()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatalf("not well-formed: %v\n%.400s", err, frag)
		}
	}
}

func TestHTMLWellFormed(t *testing.T) {
	r := sample()
	r.Check()
	var buf bytes.Buffer
	if err := WriteHTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	page := buf.String()

	svgs := regexp.MustCompile(`(?s)<svg .*?</svg>`).FindAllString(page, -1)
	if want := len(r.Charts) + len(r.Dists); len(svgs) != want {
		t.Fatalf("%d svg elements, want %d", len(svgs), want)
	}
	for i, s := range svgs {
		t.Run("svg"+string(rune('0'+i)), func(t *testing.T) { checkXML(t, s) })
	}

	// The page outside the SVGs is HTML5, not XML (the doctype), but its
	// own elements still nest: check them as XML with the doctype and the
	// void meta elements taken out.
	body := regexp.MustCompile(`<!DOCTYPE html>|<meta [^>]*>`).ReplaceAllString(page, "")
	checkXML(t, body)

	for _, bad := range []string{"<script", "<link", "src=", "@import", "url("} {
		if strings.Contains(page, bad) {
			t.Errorf("page contains %q; it must be self-contained", bad)
		}
	}
	if links := regexp.MustCompile(`https?://[^"\s<]+`).FindAllString(page, -1); len(links) != len(svgs) {
		// The only URLs are the SVG namespace declarations.
		t.Errorf("unexpected URLs: %v", links)
	}
	for _, want := range []string{"<title>bench sim — test</title>", "Traffic &lt;served &amp; overflow&gt;", "PASS — all 1 limits met", "<polygon", "<polyline", "43 %", "Parameters"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

func TestHTMLFailVerdict(t *testing.T) {
	r := sample()
	r.Figures[0].Limit = &Limit{Max: true, Value: 0.1}
	r.Check()
	var buf bytes.Buffer
	if err := WriteHTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "FAIL — past the limit: overflow share (bytes)") {
		t.Error("no fail verdict")
	}
}

// TestHTMLRendersInChromium writes the sample report and screenshots it
// with headless Chromium, then checks the picture is not blank. The PNG is
// left in the test's temporary directory; set REPORT_PNG to keep a copy.
func TestHTMLRendersInChromium(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium not found")
		}
		t.Skip("chromium not found")
	}
	dir := t.TempDir()
	_, htmlPath, err := WriteFiles(dir, "sample", sample())
	if err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(dir, "sample.png")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
		"--user-data-dir="+filepath.Join(dir, "profile"), "--screenshot="+shot, "--window-size=1100,1400", "file://"+htmlPath)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, out)
	}
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	if b.Dx() != 1100 || b.Dy() != 1400 {
		t.Errorf("screenshot is %v", b)
	}
	// Count pixels of the first series' blue (#0072b2), drawn only by the
	// charts.
	blue := 0
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r>>8 < 0x30 && g>>8 > 0x50 && g>>8 < 0x90 && bl>>8 > 0x90 {
				blue++
			}
		}
	}
	if blue < 200 {
		t.Errorf("only %d chart-blue pixels; the charts did not render", blue)
	}
	if keep := os.Getenv("REPORT_PNG"); keep != "" {
		data, _ := os.ReadFile(shot)
		if err := os.WriteFile(keep, data, 0o644); err != nil {
			t.Error(err)
		}
	}
}

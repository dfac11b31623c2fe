package serve

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	bw "github.com/burdenwatch/burdenwatch"
)

// chromium finds Debian's headless browser (make tools installs it).
func chromium(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	if os.Getenv("BURDENWATCH_TEST_SKIP_SERVICES") != "" {
		t.Skip("chromium not installed (make tools)")
	}
	t.Fatal("chromium not installed: run `make tools`")
	return ""
}

// screenshot renders url at 390×844 (a phone) into file.
func screenshot(t *testing.T, browser, url, file string, height int) image.Image {
	t.Helper()
	profile := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
		"--user-data-dir="+profile, "--window-size=390,"+strconv.Itoa(height), "--screenshot="+file, url)
	cmd.WaitDelay = 5 * time.Second
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chromium %s: %v: %s", url, err, out)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("chromium wrote no screenshot: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("screenshot %s: %v", file, err)
	}
	return img
}

// dominantColour reports whether the image has many pixels close to c.
func hasColour(img image.Image, r0, g0, b0 uint32) bool {
	n := 0
	bnd := img.Bounds()
	for y := bnd.Min.Y; y < bnd.Max.Y; y += 2 {
		for x := bnd.Min.X; x < bnd.Max.X; x += 2 {
			r, g, b, _ := img.At(x, y).RGBA()
			if near(r>>8, r0) && near(g>>8, g0) && near(b>>8, b0) {
				n++
			}
		}
	}
	return n > 2000
}

func near(a, b uint32) bool { return a+6 >= b && a <= b+6 }

// TestPhonePageScreenshots renders the phone page of each verdict and the
// unit picker in headless Chromium at 390×844 (one full-length view too) and checks the verdict
// banner's colour. With BURDENWATCH_UPDATE_SCREENSHOTS=1 the PNGs are
// written to docs/ (docs/verify-*.png).
func TestPhonePageScreenshots(t *testing.T) {
	browser := chromium(t)
	ix := fixtureIndex(t)
	ev := func(id, issuer, name, unit string, at time.Time) *bw.Event {
		e := inspectionEvent(id, issuer, "HN-2025-YJT-01", "431024", unit, at, true)
		e.Issuer.Name = name
		return e
	}
	ix.Apply(ev("p1", "HN-YJT", "湖南省应急管理厅", "431024100", time.Date(2025, 4, 2, 9, 0, 0, 0, loc)), 1)
	ix.Apply(ev("p2", "HN-YJT", "湖南省应急管理厅", "431024101", time.Date(2025, 4, 8, 9, 0, 0, 0, loc)), 1)
	ix.Apply(ev("p3", "HN-YJT", "湖南省应急管理厅", "431024101", time.Date(2025, 5, 8, 9, 0, 0, 0, loc)), 1)
	ix.Apply(ev("p4", "HN-YJT", "湖南省应急管理厅", "431024102001", time.Date(2025, 5, 9, 9, 0, 0, 0, loc)), 1)
	base, _ := serveIndex(t, ix)

	dir := t.TempDir()
	if os.Getenv("BURDENWATCH_UPDATE_SCREENSHOTS") != "" {
		dir = filepath.Join("..", "docs")
	}
	at := "&at=2025-06-12T10%3A00%3A00%2B08%3A00"
	for _, c := range []struct {
		name, path string
		status     int
		height     int
		colour     [3]uint32 // a colour the page must show in quantity
	}{
		{"verify-accept.png", "/verify/HN2025-0001?unit=431024100" + at, 200, 844, [3]uint32{0x1b, 0x7f, 0x3b}},
		{"verify-may-refuse.png", "/verify/HN2025-0001?unit=431024101" + at, 200, 844, [3]uint32{0xc6, 0x28, 0x28}},
		{"verify-unknown-code.png", "/verify/HN2025-9999?unit=431024100" + at, 200, 844, [3]uint32{0xc6, 0x28, 0x28}},
		{"verify-accept-full.png", "/verify/HN2025-0001?unit=431024100" + at, 200, 2200, [3]uint32{0x1b, 0x7f, 0x3b}},
		{"verify-pick-unit.png", "/verify/HN2025-0001", 200, 844, [3]uint32{0xb7, 0x1c, 0x1c}},
	} {
		resp, err := http.Get(base + c.path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.status {
			t.Fatalf("GET %s: %d, want %d", c.path, resp.StatusCode, c.status)
		}
		file := filepath.Join(dir, c.name)
		img := screenshot(t, browser, base+c.path, file, c.height)
		if b := img.Bounds(); b.Dx() != 390 || b.Dy() != c.height {
			t.Errorf("%s: %dx%d, want 390x%d", c.name, b.Dx(), b.Dy(), c.height)
		}
		if !hasColour(img, c.colour[0], c.colour[1], c.colour[2]) {
			t.Errorf("%s: the page does not show colour #%02x%02x%02x", c.name, c.colour[0], c.colour[1], c.colour[2])
		}
		t.Logf("wrote %s", strings.TrimPrefix(file, "../"))
	}
}

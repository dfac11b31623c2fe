package report

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// chromiumFallback is where Debian's chromium package installs the browser.
const chromiumFallback = "/usr/bin/chromium"

// pdfTimeout bounds one Chromium run.
const pdfTimeout = 2 * time.Minute

// ErrNoChromium is returned when no Chromium browser can be found.
var ErrNoChromium = errors.New("report: chromium not found in PATH or at " + chromiumFallback +
	" (install it with deploy/install-report-tools.sh)")

// FindChromium returns the Chromium to print with: path when given, else
// chromium from PATH, else /usr/bin/chromium. It returns ErrNoChromium
// when none exists.
func FindChromium(path string) (string, error) {
	if path != "" {
		p, err := exec.LookPath(path)
		if err != nil {
			return "", fmt.Errorf("report: chromium %q: %w", path, err)
		}
		return p, nil
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p, nil
	}
	if _, err := os.Stat(chromiumFallback); err == nil {
		return chromiumFallback, nil
	}
	return "", ErrNoChromium
}

// PrintPDF prints the HTML file htmlPath to pdfPath with headless
// Chromium. The page size, margins and page numbers come from the HTML's
// @page rules; Chromium's own header and footer are off.
func PrintPDF(ctx context.Context, chromium, htmlPath, pdfPath string) error {
	absHTML, err := filepath.Abs(htmlPath)
	if err != nil {
		return fmt.Errorf("report: print %s: %w", htmlPath, err)
	}
	absPDF, err := filepath.Abs(pdfPath)
	if err != nil {
		return fmt.Errorf("report: print %s: %w", pdfPath, err)
	}
	profile, err := os.MkdirTemp("", "burdenwatch-chromium-")
	if err != nil {
		return fmt.Errorf("report: chromium profile: %w", err)
	}
	defer os.RemoveAll(profile)
	ctx, cancel := context.WithTimeout(ctx, pdfTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium, chromiumArgs(profile, absPDF, absHTML)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("report: chromium printing %s: %w: %s", absHTML, err, tail(out.String()))
	}
	if st, err := os.Stat(absPDF); err != nil || st.Size() == 0 {
		return fmt.Errorf("report: chromium wrote no PDF to %s: %s", absPDF, tail(out.String()))
	}
	return nil
}

func chromiumArgs(profile, pdf, html string) []string {
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(html)}
	return []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + profile, "--print-to-pdf=" + pdf, "--no-pdf-header-footer",
		u.String(),
	}
}

// tail keeps the last lines of Chromium's output for an error message.
func tail(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > 5 {
		lines = lines[len(lines)-5:]
	}
	return strings.Join(lines, " | ")
}

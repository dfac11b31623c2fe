// Package qr draws the QR code an inspection team shows on site (SPEC §8.1):
// a PNG encoding <base-url>/verify/<inspection_code>, with
// github.com/skip2/go-qrcode.
package qr

import (
	"fmt"
	"net/url"
	"strings"

	qrcode "github.com/skip2/go-qrcode"
)

// DefaultSize is the PNG's width and height in pixels: large enough to
// print on an A4 notice and scan from a metre away.
const DefaultSize = 512

// VerifyURL returns <baseURL>/verify/<code>. baseURL must be an absolute
// http or https URL (a path prefix is kept); code is path-escaped.
func VerifyURL(baseURL, code string) (string, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("base URL %q: must be an absolute http:// or https:// URL", baseURL)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("base URL %q: must not have a query or fragment", baseURL)
	}
	if code == "" {
		return "", fmt.Errorf("inspection code is empty")
	}
	return strings.TrimRight(u.String(), "/") + "/verify/" + url.PathEscape(code), nil
}

// PNG encodes content as a QR code PNG of size×size pixels, with medium
// error correction (15 %: survives a crease or a smudge on a printed
// notice).
func PNG(content string, size int) ([]byte, error) {
	if size <= 0 {
		size = DefaultSize
	}
	png, err := qrcode.Encode(content, qrcode.Medium, size)
	if err != nil {
		return nil, fmt.Errorf("encode QR code of %q: %w", content, err)
	}
	return png, nil
}

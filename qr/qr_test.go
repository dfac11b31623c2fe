package qr_test

import (
	"bytes"
	"image"
	_ "image/png"
	"testing"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"

	"github.com/burdenwatch/burdenwatch/qr"
)

func decode(t *testing.T, png []byte) string {
	t.Helper()
	img, format, err := image.Decode(bytes.NewReader(png))
	if err != nil {
		t.Fatalf("decode PNG: %v", err)
	}
	if format != "png" {
		t.Fatalf("format %s, want png", format)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := zxqr.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("read QR code: %v", err)
	}
	return res.GetText()
}

func TestPNGDecodesToVerifyURL(t *testing.T) {
	for _, c := range []struct{ base, code, want string }{
		{"http://127.0.0.1:8080", "HN2025-0001", "http://127.0.0.1:8080/verify/HN2025-0001"},
		{"https://jianfu.hunan.gov.cn/bw/", "HN-2025-YJT-01:007", "https://jianfu.hunan.gov.cn/bw/verify/HN-2025-YJT-01:007"},
	} {
		u, err := qr.VerifyURL(c.base, c.code)
		if err != nil {
			t.Fatal(err)
		}
		if u != c.want {
			t.Fatalf("VerifyURL(%q, %q) = %q, want %q", c.base, c.code, u, c.want)
		}
		png, err := qr.PNG(u, 0)
		if err != nil {
			t.Fatal(err)
		}
		if got := decode(t, png); got != c.want {
			t.Fatalf("QR code reads %q, want %q", got, c.want)
		}
	}
}

func TestVerifyURLRejectsBadBase(t *testing.T) {
	for _, base := range []string{"", "127.0.0.1:8080", "ftp://x/", "http://", "http://h/?a=1"} {
		if _, err := qr.VerifyURL(base, "C1"); err == nil {
			t.Errorf("VerifyURL(%q): want error", base)
		}
	}
	if _, err := qr.VerifyURL("http://h", ""); err == nil {
		t.Error("empty code: want error")
	}
}

package main

import (
	"image"
	_ "image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"
)

// TestCodesQRWritesDecodableVerifyURL runs `codes qr` and reads the PNG
// back with a QR decoder.
func TestCodesQRWritesDecodableVerifyURL(t *testing.T) {
	out := filepath.Join(t.TempDir(), "code.png")
	r := runArgs(t, nil, "codes", "qr", "DC43-2025-0007", "--base-url", "https://jianfu.example.gov.cn/bw", "--out", out)
	if r.code != exitOK {
		t.Fatalf("codes qr: exit %d: %s", r.code, r.stderr)
	}
	want := "https://jianfu.example.gov.cn/bw/verify/DC43-2025-0007"
	if !strings.Contains(r.stdout, want) {
		t.Errorf("codes qr printed %q, without %s", r.stdout, want)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := zxqr.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("decode %s: %v", out, err)
	}
	if res.GetText() != want {
		t.Fatalf("QR code reads %q, want %q", res.GetText(), want)
	}
}

func TestCodesQRRefusesBadBaseURL(t *testing.T) {
	r := runArgs(t, nil, "codes", "qr", "C1", "--base-url", "127.0.0.1:8080", "--out", filepath.Join(t.TempDir(), "x.png"))
	if r.code != exitUsage || !strings.Contains(r.stderr, "base") {
		t.Fatalf("exit %d stderr %q, want usage error naming --base-url", r.code, r.stderr)
	}
}

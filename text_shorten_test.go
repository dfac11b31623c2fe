package burdenwatch

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestShortenByShownWidth: a value is shortened by the width its escapes
// take, not by its bytes — 70 control bytes are 280 characters escaped.
func TestShortenByShownWidth(t *testing.T) {
	for _, s := range []string{strings.Repeat("\x1e", 70), strings.Repeat("\xff", 60) + "x", strings.Repeat("\u00ad", 40)} {
		q := quoteValue(s)
		if len(q) > maxShownBytes+32 || !utf8.ValidString(q) || !strings.Contains(q, "bytes)…") {
			t.Errorf("quoteValue(%d bytes) = %d bytes %q, want it shortened to about %d", len(s), len(q), q, maxShownBytes)
		}
	}
	if q := quoteValue("湖南省部门"); q != `"湖南省部门"` {
		t.Errorf("a short printable value changed: %s", q)
	}
}

// TestShortenShownPath: a field path nested deep is cut in the middle at
// character boundaries.
func TestShortenShownPath(t *testing.T) {
	s := strings.Repeat("湖南.", 100)
	got := shortenShown(s, maxShownPath)
	if len(got) > maxShownPath+24 || !utf8.ValidString(got) || !strings.HasPrefix(got, "湖南.") || !strings.HasSuffix(got, "湖南.") {
		t.Errorf("shortenShown(%d bytes) = %d bytes %q", len(s), len(got), got)
	}
	if got := shortenShown("payload.title", maxShownPath); got != "payload.title" {
		t.Errorf("a short path changed: %q", got)
	}
}

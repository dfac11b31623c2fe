package clickhouse

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/ClickHouse/ch-go/proto"
)

// enumNames maps the values of an Enum8 column to their names, as the
// column's type declares them ("Enum8('inspection' = 1, 'meeting' = 2)").
type enumNames struct {
	names [256][]byte // by uint8(value)
	known [256]bool
	width int // the longest name
}

// parseEnum8 parses the type of an Enum8 column; ok is false for any
// other type.
func parseEnum8(typ proto.ColumnType) (*enumNames, bool, error) {
	s := string(typ)
	if !strings.HasPrefix(s, "Enum8(") || !strings.HasSuffix(s, ")") {
		return nil, false, nil
	}
	e := &enumNames{}
	rest := s[len("Enum8(") : len(s)-1]
	for rest != "" {
		name, after, err := enumName(rest)
		if err != nil {
			return nil, true, fmt.Errorf("%s: %w", typ, err)
		}
		num, next, _ := strings.Cut(after, ",")
		num = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(num), "="))
		v, err := strconv.ParseInt(num, 10, 8)
		if err != nil {
			return nil, true, fmt.Errorf("%s: value of %q: %w", typ, name, err)
		}
		e.names[uint8(v)], e.known[uint8(v)] = []byte(name), true
		e.width = max(e.width, len(name))
		rest = strings.TrimSpace(next)
	}
	return e, true, nil
}

// enumName reads the quoted name at the start of s ('a\'b' is a'b) and
// returns it and what follows it.
func enumName(s string) (name, rest string, err error) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "'") {
		return "", "", fmt.Errorf("name expected at %q", s)
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && i+1 < len(s):
			i++
			b.WriteByte(s[i])
		case c == '\'':
			return b.String(), s[i+1:], nil
		default:
			b.WriteByte(c)
		}
	}
	return "", "", fmt.Errorf("unterminated name in %q", s)
}

// enums reads rows values of an Enum8 column (one byte each) into c as
// their names, the strings toString(column) would have sent: the server
// then sends a byte a value and skips converting each one (issue 11: the
// four enum columns of the events' read, 15 % of its server time).
func (b *blockReader) enums(i int, e *enumNames, c *stringColumn, rows int) error {
	c.start(rows)
	if rows*e.width > math.MaxInt32 {
		return fmt.Errorf("%d rows of up to %d bytes: over 2 GiB of strings in one block", rows, e.width)
	}
	c.data = make([]byte, 0, min(int(b.widths[i]*float64(rows)*1.05)+64, rows*e.width, maxSizedColumn))
	// A buffer at a time: a row count read from a broken stream
	// allocates only what arrives.
	for row := 0; row < rows; {
		raw, err := b.r.ReadRaw(min(rows-row, blockReaderSize))
		if err != nil {
			return fmt.Errorf("row %d: %w", row, noEOF(err))
		}
		for _, v := range raw {
			if !e.known[v] {
				return fmt.Errorf("row %d: value %d not in the type", row, int8(v))
			}
			c.data = append(c.data, e.names[v]...)
			c.end()
			row++
		}
	}
	if rows > 0 {
		b.widths[i] = float64(len(c.data)) / float64(rows)
	}
	return nil
}

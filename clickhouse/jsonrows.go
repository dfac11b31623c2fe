package clickhouse

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"time"

	bw "github.com/burdenwatch/burdenwatch"
)

// WriteJSONEachRow writes the rows as ClickHouse JSONEachRow, one object per
// event with the events table's columns, as `clickhouse-client … FORMAT
// JSONEachRow` loads them. DateTime values are written in Asia/Shanghai.
func (r *EventRows) WriteJSONEachRow(w io.Writer, seq uint64) error {
	loc := bw.Location()
	cols := r.columns(seq, time.Now())
	vals := make([]reflect.Value, len(cols))
	for i, c := range cols {
		vals[i] = reflect.ValueOf(c.data)
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	row := make(map[string]any, len(cols))
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for i := 0; i < r.n; i++ {
		for j, c := range cols {
			v := vals[j].Index(i).Interface()
			if t, ok := v.(time.Time); ok {
				v = t.In(loc).Format("2006-01-02 15:04:05")
			}
			row[c.name] = v
		}
		if err := enc.Encode(row); err != nil {
			return fmt.Errorf("clickhouse: write JSONEachRow: %w", err)
		}
	}
	return bw.Flush()
}

// ColumnNames lists the events table columns EventRows writes, in order.
func (r *EventRows) ColumnNames() []string {
	out := make([]string, len(wireColumns))
	for i, c := range wireColumns {
		out[i] = c.name
	}
	return out
}

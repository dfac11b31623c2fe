package dashboards

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/variants"
	"github.com/grafana/grafana-foundation-sdk/go/common"
)

// Format is how a panel wants a query's result.
type Format int

// Result formats.
const (
	FormatTable Format = iota
	FormatTimeSeries
)

// Query is a raw SQL query of either ClickHouse plugin. The Grafana
// foundation SDK has no ClickHouse query type; Query implements its
// variants.Dataquery interface and marshals to each plugin's own target
// JSON:
//
//	official: {"refId", "datasource", "editorType": "sql", "queryType": "table"|"timeSeries", "format": 1|0, "rawSql"}
//	Altinity: {"refId", "datasource", "query", "format": "table"|"time_series", "dateTimeType": "DATETIME", "intervalFactor": 1, "round": "0s", "skip_comments": true}
type Query struct {
	Plugin        Plugin
	RefID         string
	DatasourceUID string
	SQL           string // with the plugin's macros and Grafana variables
	Format        Format
}

// ImplementsDataqueryVariant marks Query as a data query.
func (q Query) ImplementsDataqueryVariant() {}

// DataqueryType is the plugin id.
func (q Query) DataqueryType() string { return string(q.Plugin) }

// Equals reports whether other is the same query.
func (q Query) Equals(other variants.Dataquery) bool {
	switch o := other.(type) {
	case Query:
		return q == o
	case *Query:
		return o != nil && q == *o
	}
	return false
}

// forbiddenSQL are constructs ClickHouse 18.16 does not have (see
// CLICKHOUSE-18.md) and plugin macros that expand to them.
var forbiddenSQL = []string{
	"$__timeInterval", "$__timeFilter_ms", "$__fromTime_ms", "$__toTime_ms", "$__dateTimeFilter",
	"$timeSeries", "$timeFilter64", "$timeFilterMs", "toStartOfInterval", "DateTime64",
	"fromUnixTimestamp64", "JSONExtract", "date_trunc", "FROM_UNIXTIME", "toStartOfWeek",
	"ILIKE", "::", "WITH FILL", "UNION DISTINCT", "OVER (",
}

// Validate checks that the query is complete and its SQL stays inside what
// ClickHouse 18.16 runs.
func (q Query) Validate() error {
	var errs []error
	if _, err := ParsePlugin(string(q.Plugin)); err != nil || q.Plugin == "" {
		errs = append(errs, fmt.Errorf("plugin %q is not supported", q.Plugin))
	}
	if q.RefID == "" {
		errs = append(errs, errors.New("refId is empty"))
	}
	if strings.TrimSpace(q.SQL) == "" {
		errs = append(errs, errors.New("SQL is empty"))
	}
	if q.Format != FormatTable && q.Format != FormatTimeSeries {
		errs = append(errs, fmt.Errorf("format %d is unknown", q.Format))
	}
	for _, f := range forbiddenSQL {
		if strings.Contains(q.SQL, f) {
			errs = append(errs, fmt.Errorf("SQL uses %q, which ClickHouse 18.16 does not support", f))
		}
	}
	return errors.Join(errs...)
}

// officialTarget is the target JSON of grafana-clickhouse-datasource.
type officialTarget struct {
	RefID      string               `json:"refId"`
	Datasource common.DataSourceRef `json:"datasource"`
	EditorType string               `json:"editorType"`
	QueryType  string               `json:"queryType"`
	Format     int                  `json:"format"`
	RawSQL     string               `json:"rawSql"`
}

// altinityTarget is the target JSON of vertamedia-clickhouse-datasource.
type altinityTarget struct {
	RefID          string               `json:"refId"`
	Datasource     common.DataSourceRef `json:"datasource"`
	Query          string               `json:"query"`
	Format         string               `json:"format"`
	DateTimeType   string               `json:"dateTimeType"`
	IntervalFactor int                  `json:"intervalFactor"`
	Round          string               `json:"round"`
	SkipComments   bool                 `json:"skip_comments"`
}

func (q Query) datasource() common.DataSourceRef {
	typ, uid := string(q.Plugin), q.DatasourceUID
	return common.DataSourceRef{Type: &typ, Uid: &uid}
}

// MarshalJSON writes the plugin's target JSON.
func (q Query) MarshalJSON() ([]byte, error) {
	if q.Plugin == Altinity {
		format := "table"
		if q.Format == FormatTimeSeries {
			format = "time_series"
		}
		return json.Marshal(altinityTarget{RefID: q.RefID, Datasource: q.datasource(), Query: q.SQL,
			Format: format, DateTimeType: "DATETIME", IntervalFactor: 1, Round: "0s", SkipComments: true})
	}
	// The official plugin's formats are Grafana's sqlutil ones:
	// 0 time series, 1 table.
	t := officialTarget{RefID: q.RefID, Datasource: q.datasource(), EditorType: "sql",
		QueryType: "table", Format: 1, RawSQL: q.SQL}
	if q.Format == FormatTimeSeries {
		t.QueryType, t.Format = "timeSeries", 0
	}
	return json.Marshal(t)
}

// UnmarshalJSON reads either plugin's target JSON, leniently.
func (q *Query) UnmarshalJSON(raw []byte) error { return q.unmarshal(raw, false) }

// UnmarshalJSONStrict reads either plugin's target JSON and fails on
// unknown fields or values.
func (q *Query) UnmarshalJSONStrict(raw []byte) error { return q.unmarshal(raw, true) }

func (q *Query) unmarshal(raw []byte, strict bool) error {
	var probe struct {
		Datasource common.DataSourceRef `json:"datasource"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return fmt.Errorf("clickhouse query: %w", err)
	}
	if probe.Datasource.Type == nil {
		return errors.New("clickhouse query: datasource.type is missing")
	}
	plugin, err := ParsePlugin(*probe.Datasource.Type)
	if err != nil {
		return fmt.Errorf("clickhouse query: %w", err)
	}
	if plugin == Altinity {
		return q.unmarshalAltinity(raw, strict)
	}
	return q.unmarshalOfficial(raw, strict)
}

func decode(raw []byte, v any, strict bool) error {
	d := json.NewDecoder(bytes.NewReader(raw))
	if strict {
		d.DisallowUnknownFields()
	}
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("clickhouse query: %w", err)
	}
	return nil
}

func (q *Query) unmarshalOfficial(raw []byte, strict bool) error {
	var t officialTarget
	if err := decode(raw, &t, strict); err != nil {
		return err
	}
	*q = Query{Plugin: Official, RefID: t.RefID, SQL: t.RawSQL, DatasourceUID: deref(t.Datasource.Uid)}
	switch {
	case t.Format == 0 && t.QueryType == "timeSeries":
		q.Format = FormatTimeSeries
	case t.Format == 1 && t.QueryType == "table":
		q.Format = FormatTable
	case strict:
		return fmt.Errorf("clickhouse query %s: format %d with queryType %q is not supported", t.RefID, t.Format, t.QueryType)
	}
	if strict && t.EditorType != "sql" {
		return fmt.Errorf("clickhouse query %s: editorType %q, want sql", t.RefID, t.EditorType)
	}
	return nil
}

func (q *Query) unmarshalAltinity(raw []byte, strict bool) error {
	var t altinityTarget
	if err := decode(raw, &t, strict); err != nil {
		return err
	}
	*q = Query{Plugin: Altinity, RefID: t.RefID, SQL: t.Query, DatasourceUID: deref(t.Datasource.Uid)}
	switch t.Format {
	case "time_series":
		q.Format = FormatTimeSeries
	case "table":
		q.Format = FormatTable
	default:
		if strict {
			return fmt.Errorf("clickhouse query %s: format %q is not supported", t.RefID, t.Format)
		}
	}
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// Build makes Query its own builder, for panel builders' WithTarget.
func (q Query) Build() (variants.Dataquery, error) {
	if err := q.Validate(); err != nil {
		return nil, cog.MakeBuildErrors("clickhouse query "+q.RefID, err)
	}
	return q, nil
}

// VariantConfig describes Query to the SDK's runtime for one plugin, so that
// dashboards containing it unmarshal into Query.
func VariantConfig(p Plugin) variants.DataqueryConfig {
	return variants.DataqueryConfig{
		Identifier: string(p),
		DataqueryUnmarshaler: func(raw []byte) (variants.Dataquery, error) {
			var q Query
			err := q.UnmarshalJSON(raw)
			return q, err
		},
		StrictDataqueryUnmarshaler: func(raw []byte) (variants.Dataquery, error) {
			var q Query
			err := q.UnmarshalJSONStrict(raw)
			return q, err
		},
	}
}

// RegisterQueryTypes registers Query for both plugins in the SDK's runtime
// (cog.NewRuntime), which dashboard.Dashboard's JSON unmarshalling uses.
func RegisterQueryTypes() {
	rt := cog.NewRuntime()
	for _, p := range Plugins() {
		rt.RegisterDataqueryVariant(VariantConfig(p))
	}
}

package dashboards

import (
	"github.com/grafana/grafana-foundation-sdk/go/barchart"
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/variants"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/piechart"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// spec is what a panel shows.
type spec struct {
	title       string
	description string
	sql         string
	w, h        uint32
	unit        string
}

// tooltip shows every series at the cursor, unsorted.
func tooltip() *common.VizTooltipOptionsBuilder {
	return common.NewVizTooltipOptionsBuilder().Mode(common.TooltipDisplayModeMulti).Sort(common.SortOrderNone)
}

func legend() *common.VizLegendOptionsBuilder {
	return common.NewVizLegendOptionsBuilder().
		ShowLegend(true).
		DisplayMode(common.LegendDisplayModeList).
		Placement(common.LegendPlacementBottom)
}

// basePanel is what every panel builder of the SDK has.
type basePanel[B any] interface {
	Id(id uint32) B
	Title(title string) B
	Description(description string) B
	Datasource(datasource common.DataSourceRef) B
	WithTarget(target cog.Builder[variants.Dataquery]) B
	Span(w uint32) B
	Height(h uint32) B
}

// withBase sets what every panel has: a new id, title, description, the
// data source, the query of s in format f, width and height.
func withBase[B basePanel[B]](a *assembly, b B, s spec, f Format) B {
	return b.Id(a.id()).Title(s.title).Description(s.description).Datasource(a.datasource()).
		WithTarget(a.query(s.sql, f)).Span(s.w).Height(s.h)
}

// timeseries adds a time series panel; s.sql is a series(...) query.
func (a *assembly) timeseries(s spec) {
	p := withBase(a, timeseries.NewPanelBuilder(), s, FormatTimeSeries).
		Unit(s.unit).
		Legend(legend()).
		Tooltip(tooltip()).
		ShowPoints(common.VisibilityModeAlways).
		SpanNulls(common.BoolOrFloat64{Bool: ptr(true)})
	if name := a.o.Plugin.seriesDisplayName(); name != "" {
		p = p.DisplayName(name)
	}
	a.panel(p)
}

// table adds a table panel.
func (a *assembly) table(s spec, overrides ...fieldOverride) {
	p := withBase(a, table.NewPanelBuilder(), s, FormatTable).
		ShowHeader(true).
		CellHeight(common.TableCellHeightSm).
		Footer(common.NewTableFooterOptionsBuilder().Show(false).Reducer([]string{"sum"}).CountRows(false)).
		Filterable(true)
	for _, o := range overrides {
		p = p.OverrideByName(o.field, o.properties)
	}
	a.panel(p)
}

// stat adds a stat panel showing every column of a one-row query.
func (a *assembly) stat(s spec, overrides ...fieldOverride) {
	p := withBase(a, stat.NewPanelBuilder(), s, FormatTable).
		Unit(s.unit).
		GraphMode(common.BigValueGraphModeNone).
		TextMode(common.BigValueTextModeValueAndName).
		Orientation(common.VizOrientationAuto).
		ColorMode(common.BigValueColorModeValue).
		JustifyMode(common.BigValueJustifyModeAuto).
		WideLayout(true).
		ShowPercentChange(false).
		PercentChangeColorMode(common.PercentChangeColorModeStandard).
		ReduceOptions(common.NewReduceDataOptionsBuilder().
			Calcs([]string{"lastNotNull"}).
			Fields("/.*/"))
	for _, o := range overrides {
		p = p.OverrideByName(o.field, o.properties)
	}
	a.panel(p)
}

// barchart adds a bar chart of a table whose first column is the category.
func (a *assembly) barchart(s spec, xField string) {
	a.panel(withBase(a, barchart.NewPanelBuilder(), s, FormatTable).
		XField(xField).
		Orientation(common.VizOrientationHorizontal).
		Stacking(common.StackingModeNormal).
		ShowValue(common.VisibilityModeAuto).
		Legend(legend()).
		Tooltip(tooltip()))
}

// piechart adds a pie chart of a (category, count) table.
func (a *assembly) piechart(s spec) {
	a.panel(withBase(a, piechart.NewPanelBuilder(), s, FormatTable).
		PieType(piechart.PieChartTypeDonut).
		Orientation(common.VizOrientationAuto).
		Tooltip(tooltip()).
		Legend(piechart.NewPieChartLegendOptionsBuilder().
			ShowLegend(true).
			DisplayMode(common.LegendDisplayModeList).
			Placement(common.LegendPlacementRight).
			Values([]piechart.PieChartLegendValues{piechart.PieChartLegendValuesValue, piechart.PieChartLegendValuesPercent})).
		ReduceOptions(common.NewReduceDataOptionsBuilder().
			Calcs([]string{"lastNotNull"}).
			Values(true)))
}

// fieldOverride sets properties of one table column.
type fieldOverride struct {
	field      string
	properties []dashboard.DynamicConfigValue
}

// countyLink links a table column to the county drill-down of the row's
// county code column.
func countyLink(field, codeField string) fieldOverride {
	link := map[string]any{
		"title": "查看观测点详情",
		"url":   "/d/" + UIDCounty + "?var-province=${province}&var-county=${__data.fields[\"" + codeField + "\"]}&${__url_time_range}",
	}
	return fieldOverride{field: field, properties: []dashboard.DynamicConfigValue{{Id: "links", Value: []any{link}}}}
}

// unitOverride sets the unit of one column.
func unitOverride(field, unit string) fieldOverride {
	return fieldOverride{field: field, properties: []dashboard.DynamicConfigValue{{Id: "unit", Value: unit}}}
}

func ptr[T any](v T) *T { return &v }

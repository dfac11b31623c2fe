// Package dashboards builds BurdenWatch's Grafana dashboards (SPEC §6) with
// the Grafana foundation SDK, for either ClickHouse data source plugin, and
// delivers them as provisioning files or through Grafana's HTTP API.
//
// The four dashboards are 省级总览 (province overview), 观测点详情 (county
// drill-down), 规则检查结果 (rule results) and 数据接入健康 (pipeline
// health). Their SQL runs on ClickHouse 18.16 and on current releases; see
// Interpolate for the plugin macros it uses.
package dashboards

import (
	"encoding/json"
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// DefaultDatasourceUID is the uid of the ClickHouse data source the
// dashboards query.
const DefaultDatasourceUID = "burdenwatch-clickhouse"

// Options choose the data source the dashboards use.
type Options struct {
	Plugin        Plugin
	DatasourceUID string // DefaultDatasourceUID when empty
}

func (o Options) withDefaults() (Options, error) {
	p, err := ParsePlugin(string(o.Plugin))
	if err != nil {
		return o, err
	}
	o.Plugin = p
	if o.DatasourceUID == "" {
		o.DatasourceUID = DefaultDatasourceUID
	}
	return o, nil
}

// Dashboard is one built dashboard.
type Dashboard struct {
	UID   string
	Title string
	Model dashboard.Dashboard
}

// FileName is the dashboard's provisioning file name.
func (d Dashboard) FileName() string { return d.UID + ".json" }

// JSON is the dashboard model as Grafana stores it, indented.
func (d Dashboard) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(d.Model, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("dashboard %s: marshal: %w", d.UID, err)
	}
	return append(b, '\n'), nil
}

// The dashboards' uids, stable across releases so that links and
// bookmarks keep working.
const (
	UIDProvince = "bw-province-overview"
	UIDCounty   = "bw-county-detail"
	UIDRules    = "bw-rule-results"
	UIDHealth   = "bw-pipeline-health"
)

// Build returns the four dashboards for o.
func Build(o Options) ([]Dashboard, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	builders := []struct {
		uid, title string
		build      func(*assembly)
	}{
		{UIDProvince, "省级总览", provinceOverview},
		{UIDCounty, "观测点详情", countyDetail},
		{UIDRules, "规则检查结果", ruleResults},
		{UIDHealth, "数据接入健康", pipelineHealth},
	}
	out := make([]Dashboard, 0, len(builders))
	for _, b := range builders {
		a := newAssembly(o, b.uid, b.title)
		b.build(a)
		model, err := a.db.Build()
		if err != nil {
			return nil, fmt.Errorf("dashboard %s: %w", b.uid, err)
		}
		out = append(out, Dashboard{UID: b.uid, Title: b.title, Model: model})
	}
	return out, nil
}

// assembly is a dashboard being built.
type assembly struct {
	o      Options
	db     *dashboard.DashboardBuilder
	nextID uint32
}

func newAssembly(o Options, uid, title string) *assembly {
	db := dashboard.NewDashboardBuilder(title).
		Uid(uid).
		Tags([]string{"burdenwatch", "基层减负"}).
		Timezone("Asia/Shanghai").
		Time("now-12M", "now").
		Tooltip(dashboard.DashboardCursorSyncCrosshair).
		Link(dashboard.NewDashboardLinkBuilder("BurdenWatch 仪表盘").
			Type(dashboard.DashboardLinkTypeDashboards).
			Tags([]string{"burdenwatch"}).
			AsDropdown(true).
			IncludeVars(true).
			KeepTime(true))
	return &assembly{o: o, db: db}
}

func (a *assembly) id() uint32 {
	a.nextID++
	return a.nextID
}

func (a *assembly) datasource() common.DataSourceRef {
	typ, uid := string(a.o.Plugin), a.o.DatasourceUID
	return common.DataSourceRef{Type: &typ, Uid: &uid}
}

func (a *assembly) query(sql string, f Format) Query {
	return Query{Plugin: a.o.Plugin, RefID: "A", DatasourceUID: a.o.DatasourceUID, SQL: sql, Format: f}
}

// variable adds a query variable. Single-value variables keep the order
// of their query (sort disabled), whose first row is what Grafana selects
// when the dashboard is opened without a value; multi-value variables are
// sorted and offer "全部" (allValue), Grafana's default for them.
func (a *assembly) variable(name, label, sql string, multi bool) {
	v := dashboard.NewQueryVariableBuilder(name).
		Label(label).
		Query(dashboard.StringOrMap{String: &sql}).
		Definition(sql).
		Datasource(a.datasource()).
		Refresh(dashboard.VariableRefreshOnDashboardLoad).
		Sort(dashboard.VariableSortDisabled)
	if multi {
		v = v.Sort(dashboard.VariableSortAlphabeticalAsc).Multi(true).IncludeAll(true).AllValue(allValue)
	}
	a.db = a.db.WithVariable(v)
}

func (a *assembly) panel(p cog.Builder[dashboard.Panel]) { a.db = a.db.WithPanel(p) }

// row starts a row; like every panel it gets its own id.
func (a *assembly) row(title string) {
	a.db = a.db.WithRow(dashboard.NewRowBuilder(title).Id(a.id()))
}

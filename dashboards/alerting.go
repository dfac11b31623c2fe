package dashboards

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/go-openapi/strfmt"
	"github.com/grafana/grafana-openapi-client-go/models"
	"gopkg.in/yaml.v3"
)

// Grafana alert rules for the breaches of SPEC §8.5 (alerts with level
// 'breach'), in Grafana's file provisioning format
// (provisioning/alerting/*.yaml, apiVersion 1), so that an office can have
// Grafana notify it as well. Each rule queries the current year's breaches
// of one family of scopes; every row (county, scope) is one alert instance,
// its string columns the instance's labels.

// AlertGroup is the name of the rule group.
const AlertGroup = "基层减负超限"

// breachFamily is one alert rule: a family of §8.5 scopes.
type breachFamily struct {
	uid, title, what string
	scopes           string // SQL condition on scope
}

func breachFamilies() []breachFamily {
	return []breachFamily{
		{"bw-breach-quota", "发文、会议、督查检查考核超过年度配额", "年度配额",
			"scope IN ('documents.quota', 'meetings.quota', 'inspections.quota')"},
		{"bw-breach-baseline", "发文、会议、督查检查考核超过基数（只减不增）", "基数年数量",
			"scope IN ('documents.baseline', 'meetings.baseline', 'inspections.baseline')"},
		{"bw-breach-visit-cap", "同一事项到同一单位督查检查超过次数上限", "次数上限",
			"scope LIKE 'visit_cap:%'"},
		{"bw-breach-comprehensive-cap", "综合督查或考核超过次数上限", "次数上限",
			"(scope LIKE 'comprehensive_cap:%' OR scope LIKE 'appraisal_cap:%')"},
	}
}

// breachSQL lists the current year's breaches of one family, one row per
// county and scope, with value 1.
func breachSQL(f breachFamily) string {
	inner := "SELECT *\nFROM (\n    SELECT * FROM alerts FINAL\n)\nWHERE level = 'breach' AND year = toYear(now(), 'Asia/Shanghai') AND " + f.scopes
	return "SELECT\n    province_code AS province,\n    county_code AS county,\n    " + countyName + " AS county_name,\n" +
		"    scope,\n    toString(value) AS value,\n    toString(`limit`) AS `limit`,\n    formatDateTime(month, '%Y-%m') AS month,\n" +
		"    toFloat64(1) AS breach\n" + withPoints(inner)
}

// Grafana's provisioning model of alert rules.
type (
	alertFile struct {
		APIVersion int          `yaml:"apiVersion"`
		Groups     []alertGroup `yaml:"groups"`
	}
	alertGroup struct {
		OrgID    int         `yaml:"orgId"`
		Name     string      `yaml:"name"`
		Folder   string      `yaml:"folder"`
		Interval string      `yaml:"interval"`
		Rules    []alertRule `yaml:"rules"`
	}
	alertRule struct {
		UID          string            `yaml:"uid"`
		Title        string            `yaml:"title"`
		Condition    string            `yaml:"condition"`
		Data         []alertQuery      `yaml:"data"`
		NoDataState  string            `yaml:"noDataState"`
		ExecErrState string            `yaml:"execErrState"`
		For          string            `yaml:"for"`
		Labels       map[string]string `yaml:"labels"`
		Annotations  map[string]string `yaml:"annotations"`
		IsPaused     bool              `yaml:"isPaused"`
	}
	alertQuery struct {
		RefID             string         `yaml:"refId"`
		RelativeTimeRange timeRange      `yaml:"relativeTimeRange"`
		DatasourceUID     string         `yaml:"datasourceUid"`
		Model             map[string]any `yaml:"model"`
	}
	timeRange struct {
		From int `yaml:"from"`
		To   int `yaml:"to"`
	}
)

// exprUID is the data source uid of Grafana's server-side expressions.
const exprUID = "__expr__"

// AlertRulesYAML is the alert rule provisioning file for data source uid
// of plugin p.
func AlertRulesYAML(p Plugin, datasourceUID string) ([]byte, error) {
	group, err := alertGroupFor(p, datasourceUID)
	if err != nil {
		return nil, err
	}
	b, err := yaml.Marshal(alertFile{APIVersion: 1, Groups: []alertGroup{group}})
	if err != nil {
		return nil, fmt.Errorf("alert rules: %w", err)
	}
	return append([]byte("# Written by burdenwatch dashboards write: Grafana alert rules for the breaches of SPEC §8.5.\n"), b...), nil
}

// alertInterval is how often Grafana evaluates the rules.
const alertInterval = 5 * time.Minute

// alertGroupFor is the rule group for data source uid of plugin p.
func alertGroupFor(p Plugin, datasourceUID string) (alertGroup, error) {
	group := alertGroup{OrgID: 1, Name: AlertGroup, Folder: FolderTitle, Interval: alertInterval.String()}
	for _, f := range breachFamilies() {
		r, err := alertRuleOf(p, datasourceUID, f)
		if err != nil {
			return group, err
		}
		group.Rules = append(group.Rules, r)
	}
	return group, nil
}

// apiGroup is the group in the model of Grafana's alerting provisioning
// API (PUT /api/v1/provisioning/folder/{folderUid}/rule-groups/{group}),
// in folder FolderUID.
func (g alertGroup) apiGroup() *models.AlertRuleGroup {
	out := &models.AlertRuleGroup{FolderUID: FolderUID, Interval: int64(alertInterval / time.Second), Title: g.Name}
	for _, r := range g.Rules {
		rule := &models.ProvisionedAlertRule{
			UID: r.UID, Title: ptr(r.Title), Condition: ptr(r.Condition), FolderUID: ptr(FolderUID), RuleGroup: ptr(g.Name),
			OrgID: ptr(int64(g.OrgID)), NoDataState: ptr(r.NoDataState), ExecErrState: ptr(r.ExecErrState),
			For: ptr(strfmt.Duration(0)), Labels: r.Labels, Annotations: r.Annotations, IsPaused: r.IsPaused,
		}
		for _, q := range r.Data {
			rule.Data = append(rule.Data, &models.AlertQuery{RefID: q.RefID, DatasourceUID: q.DatasourceUID, Model: q.Model,
				RelativeTimeRange: &models.RelativeTimeRange{From: models.Duration(q.RelativeTimeRange.From), To: models.Duration(q.RelativeTimeRange.To)}})
		}
		out.Rules = append(out.Rules, rule)
	}
	return out
}

func alertRuleOf(p Plugin, datasourceUID string, f breachFamily) (alertRule, error) {
	q := Query{Plugin: p, RefID: "A", DatasourceUID: datasourceUID, SQL: breachSQL(f), Format: FormatTable}
	if err := q.Validate(); err != nil {
		return alertRule{}, fmt.Errorf("alert rule %s: %w", f.uid, err)
	}
	model, err := toMap(q)
	if err != nil {
		return alertRule{}, fmt.Errorf("alert rule %s: %w", f.uid, err)
	}
	threshold := map[string]any{
		"refId": "B", "type": "threshold", "expression": "A",
		"datasource": map[string]any{"type": exprUID, "uid": exprUID},
		"conditions": []any{map[string]any{"evaluator": map[string]any{"type": "gt", "params": []any{0}}}},
	}
	return alertRule{
		UID: f.uid, Title: f.title, Condition: "B",
		Data: []alertQuery{
			{RefID: "A", RelativeTimeRange: timeRange{From: 86400}, DatasourceUID: datasourceUID, Model: model},
			{RefID: "B", DatasourceUID: exprUID, Model: threshold},
		},
		NoDataState: "OK", ExecErrState: "Error", For: "0s", // alertRule.apiGroup writes the same 0
		Labels: map[string]string{"severity": "critical", "system": "burdenwatch", "level": "breach"},
		Annotations: map[string]string{
			"summary": "{{ $labels.county_name }}（{{ $labels.county }}）" + f.title,
			"description": "观测点 {{ $labels.county_name }}（{{ $labels.county }}）的 {{ $labels.scope }} 已超过" + f.what +
				"：{{ $labels.month }} 时为 {{ $labels.value }}，限值 {{ $labels.limit }}（SPEC §8.5 超限）。",
		},
	}, nil
}

// toMap is v's JSON as a generic map.
func toMap(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	err = json.Unmarshal(b, &m)
	return m, err
}

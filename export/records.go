package export

import (
	"math"
	"slices"
	"time"
)

// monthFormat is the layout of month values and partition directories.
const monthFormat = "2006-01"

// eventScan is one row of the events query as ClickHouse returns it.
type eventScan struct {
	EventID        string    `ch:"event_id"`
	Revision       uint32    `ch:"revision"`
	Kind           string    `ch:"kind"`
	OccurredAt     time.Time `ch:"occurred_at"`
	ProvinceCode   string    `ch:"province_code"`
	CountyCode     string    `ch:"county_code"`
	UnitCode       string    `ch:"unit_code"`
	BearingUnit    string    `ch:"bearing_unit"`
	TargetLevel    string    `ch:"target_level"`
	IssuerCode     string    `ch:"issuer_code"`
	IssuerName     string    `ch:"issuer_name"`
	IssuerLevel    string    `ch:"issuer_level"`
	IssuerKind     string    `ch:"issuer_kind"`
	Source         string    `ch:"source"`
	Category       string    `ch:"category"`
	PlanCode       string    `ch:"plan_code"`
	InspectionCode string    `ch:"inspection_code"`
	Approved       bool      `ch:"approved"`
	Mode           string    `ch:"mode"`
	OnSite         bool      `ch:"on_site"`
	EndAt          time.Time `ch:"end_at"`
	TeamSize       uint32    `ch:"team_size"`
	Accompanying   uint32    `ch:"accompanying"`
	Principal      bool      `ch:"principal_accompanied"`
	Materials      uint32    `ch:"materials_requested"`
	CompMaterial   bool      `ch:"comprehensive_material"`
	SampledUnits   uint32    `ch:"sampled_units"`
	TotalUnits     uint32    `ch:"total_units"`
	DeploymentDoc  string    `ch:"deployment_doc_id"`
	Topic          string    `ch:"topic"`
	Accountability bool      `ch:"accountability_demanded"`
	Title          string    `ch:"title"`
	Duration       uint32    `ch:"duration_minutes"`
	Attendees      uint32    `ch:"attendees"`
	Format         string    `ch:"format"`
	Scale          string    `ch:"scale"`
	Cascade        bool      `ch:"cascade_required"`
	DocNumber      string    `ch:"doc_number"`
	DocType        string    `ch:"doc_type"`
	Pages          uint32    `ch:"pages"`
	Supporting     bool      `ch:"requires_supporting_docs"`
	Upward         bool      `ch:"requires_upward_report"`
	VetoItems      []string  `ch:"veto_items"`
	VetoItemCount  uint64    `ch:"veto_item_count"`
	Pledges        uint32    `ch:"pledges"`
	FormID         string    `ch:"form_id"`
	Fields         uint32    `ch:"fields"`
	DupFields      uint32    `ch:"duplicate_fields"`
	EstMinutes     uint32    `ch:"estimated_minutes"`
	Frequency      string    `ch:"frequency"`
	ViaPlatform    bool      `ch:"via_platform"`
	ApprovedSurvey bool      `ch:"approved_survey"`
}

// eventRecord is one row of the exported events table. Pointer fields are
// optional columns: null for events of other kinds or values not given.
type eventRecord struct {
	EventID        string     `parquet:"event_id"`
	Revision       int64      `parquet:"revision"`
	Kind           string     `parquet:"kind"`
	OccurredAt     time.Time  `parquet:"occurred_at,timestamp(millisecond:utc)"`
	Month          string     `parquet:"month"`
	ProvinceCode   string     `parquet:"province_code"`
	CountyCode     string     `parquet:"county_code"`
	UnitCode       *string    `parquet:"unit_code,optional"`
	BearingUnit    string     `parquet:"bearing_unit"`
	TargetLevel    string     `parquet:"target_level"`
	IssuerCode     string     `parquet:"issuer_code"`
	IssuerName     string     `parquet:"issuer_name"`
	IssuerLevel    string     `parquet:"issuer_level"`
	IssuerKind     string     `parquet:"issuer_kind"`
	Source         *string    `parquet:"source,optional"`
	Category       *string    `parquet:"category,optional"`
	PlanCode       *string    `parquet:"plan_code,optional"`
	InspectionCode *string    `parquet:"inspection_code,optional"`
	Approved       *bool      `parquet:"approved,optional"`
	Mode           *string    `parquet:"mode,optional"`
	OnSite         *bool      `parquet:"on_site,optional"`
	EndAt          *time.Time `parquet:"end_at,optional,timestamp(millisecond:utc)"`
	TeamSize       *int64     `parquet:"team_size,optional"`
	Accompanying   *int64     `parquet:"accompanying,optional"`
	Principal      *bool      `parquet:"principal_accompanied,optional"`
	Materials      *int64     `parquet:"materials_requested,optional"`
	CompMaterial   *bool      `parquet:"comprehensive_material,optional"`
	SampledUnits   *int64     `parquet:"sampled_units,optional"`
	TotalUnits     *int64     `parquet:"total_units,optional"`
	DeploymentDoc  *string    `parquet:"deployment_doc_id,optional"`
	Topic          *string    `parquet:"topic,optional"`
	Accountability *bool      `parquet:"accountability_demanded,optional"`
	Title          *string    `parquet:"title,optional"`
	Duration       *int64     `parquet:"duration_minutes,optional"`
	Attendees      *int64     `parquet:"attendees,optional"`
	Format         *string    `parquet:"format,optional"`
	Scale          *string    `parquet:"scale,optional"`
	Cascade        *bool      `parquet:"cascade_required,optional"`
	DocNumber      *string    `parquet:"doc_number,optional"`
	DocType        *string    `parquet:"doc_type,optional"`
	Pages          *int64     `parquet:"pages,optional"`
	Supporting     *bool      `parquet:"requires_supporting_docs,optional"`
	Upward         *bool      `parquet:"requires_upward_report,optional"`
	VetoItems      []string   `parquet:"veto_items,list"`
	VetoItemCount  *int64     `parquet:"veto_item_count,optional"`
	Pledges        *int64     `parquet:"pledges,optional"`
	FormID         *string    `parquet:"form_id,optional"`
	Fields         *int64     `parquet:"fields,optional"`
	DupFields      *int64     `parquet:"duplicate_fields,optional"`
	EstMinutes     *int64     `parquet:"estimated_minutes,optional"`
	Frequency      *string    `parquet:"frequency,optional"`
	ViaPlatform    *bool      `parquet:"via_platform,optional"`
	ApprovedSurvey *bool      `parquet:"approved_survey,optional"`
}

// fillEvent converts a scanned event into its exported record.
func fillEvent(r *eventRecord, s *eventScan, month string) {
	*r = eventRecord{
		EventID: s.EventID, Revision: int64(s.Revision), Kind: s.Kind,
		OccurredAt: s.OccurredAt, Month: month,
		ProvinceCode: s.ProvinceCode, CountyCode: s.CountyCode,
		UnitCode: nonEmpty(s.UnitCode), BearingUnit: s.BearingUnit, TargetLevel: s.TargetLevel,
		IssuerCode: s.IssuerCode, IssuerName: s.IssuerName,
		IssuerLevel: s.IssuerLevel, IssuerKind: s.IssuerKind, Source: nonEmpty(s.Source),
		VetoItems: []string{},
	}
	switch s.Kind {
	case "inspection":
		fillInspection(r, s)
	case "meeting":
		fillMeeting(r, s)
	case "document":
		fillDocument(r, s)
	case "data_report":
		fillDataReport(r, s)
	}
}

func fillInspection(r *eventRecord, s *eventScan) {
	r.Category, r.PlanCode, r.InspectionCode = ptr(s.Category), ptr(s.PlanCode), ptr(s.InspectionCode)
	r.Approved, r.Mode, r.OnSite = ptr(s.Approved), ptr(s.Mode), ptr(s.OnSite)
	if s.EndAt.Unix() > 0 {
		r.EndAt = ptr(s.EndAt)
	}
	r.TeamSize, r.Accompanying = count(s.TeamSize), count(s.Accompanying)
	r.Principal, r.Materials = ptr(s.Principal), count(s.Materials)
	r.CompMaterial = ptr(s.CompMaterial)
	r.SampledUnits, r.TotalUnits = count(s.SampledUnits), count(s.TotalUnits)
	r.DeploymentDoc, r.Topic = ptr(s.DeploymentDoc), ptr(s.Topic)
	r.Accountability = ptr(s.Accountability)
}

func fillMeeting(r *eventRecord, s *eventScan) {
	r.Title = ptr(s.Title)
	r.Duration, r.Attendees = count(s.Duration), count(s.Attendees)
	r.Format, r.Scale, r.Cascade = ptr(s.Format), ptr(s.Scale), ptr(s.Cascade)
}

func fillDocument(r *eventRecord, s *eventScan) {
	r.DocNumber, r.DocType, r.Pages = ptr(s.DocNumber), ptr(s.DocType), count(s.Pages)
	r.Supporting, r.Upward = ptr(s.Supporting), ptr(s.Upward)
	if s.VetoItems != nil {
		r.VetoItems = slices.Clone(s.VetoItems)
	}
	r.VetoItemCount, r.Pledges = ptr(int64(s.VetoItemCount)), count(s.Pledges)
}

func fillDataReport(r *eventRecord, s *eventScan) {
	r.Title, r.FormID = ptr(s.Title), ptr(s.FormID)
	r.Fields, r.DupFields, r.EstMinutes = count(s.Fields), count(s.DupFields), count(s.EstMinutes)
	r.Frequency, r.ViaPlatform, r.ApprovedSurvey = ptr(s.Frequency), ptr(s.ViaPlatform), ptr(s.ApprovedSurvey)
}

// indicatorScan is one row of the indicators query.
type indicatorScan struct {
	ProvinceCode string    `ch:"province_code"`
	CountyCode   string    `ch:"county_code"`
	Indicator    string    `ch:"indicator"`
	Value        *float64  `ch:"value"`
	YTD          *float64  `ch:"ytd"`
	ComputedAt   time.Time `ch:"computed_at"`
}

// indicatorRecord is one row of the exported indicators table.
type indicatorRecord struct {
	ProvinceCode string    `parquet:"province_code"`
	CountyCode   string    `parquet:"county_code"`
	Month        string    `parquet:"month"`
	Indicator    string    `parquet:"indicator"`
	Value        *float64  `parquet:"value,optional"`
	YTD          *float64  `parquet:"ytd,optional"`
	ComputedAt   time.Time `parquet:"computed_at,timestamp(millisecond:utc)"`
}

// fillIndicator converts a scanned indicator; NaN and infinities become
// null, so that sums and means in analysis tools skip them.
func fillIndicator(r *indicatorRecord, s *indicatorScan, month string) {
	*r = indicatorRecord{
		ProvinceCode: s.ProvinceCode, CountyCode: s.CountyCode, Month: month,
		Indicator: s.Indicator, Value: finite(s.Value), YTD: finite(s.YTD), ComputedAt: s.ComputedAt,
	}
}

// ruleResultScan is one row of the rule_results query.
type ruleResultScan struct {
	RuleID       string    `ch:"rule_id"`
	Severity     string    `ch:"severity"`
	ProvinceCode string    `ch:"province_code"`
	CountyCode   string    `ch:"county_code"`
	Year         uint16    `ch:"year"`
	IssuerCode   string    `ch:"issuer_code"`
	IssuerName   string    `ch:"issuer_name"`
	Scope        string    `ch:"scope"`
	Value        float64   `ch:"value"`
	Limit        float64   `ch:"limit"`
	EventIDs     []string  `ch:"event_ids"`
	EventCount   uint64    `ch:"event_count"`
	Citation     string    `ch:"citation"`
	ComputedAt   time.Time `ch:"computed_at"`
}

// ruleResultRecord is one row of the exported rule_results table.
type ruleResultRecord struct {
	RuleID       string    `parquet:"rule_id"`
	Severity     string    `parquet:"severity"`
	ProvinceCode string    `parquet:"province_code"`
	CountyCode   string    `parquet:"county_code"`
	Year         int32     `parquet:"year"`
	Month        string    `parquet:"month"`
	IssuerCode   *string   `parquet:"issuer_code,optional"`
	IssuerName   *string   `parquet:"issuer_name,optional"`
	Scope        string    `parquet:"scope"`
	Value        float64   `parquet:"value"`
	Limit        float64   `parquet:"limit"`
	EventIDs     []string  `parquet:"event_ids,list"`
	EventCount   int64     `parquet:"event_count"`
	Citation     string    `parquet:"citation"`
	ComputedAt   time.Time `parquet:"computed_at,timestamp(millisecond:utc)"`
}

// fillRuleResult converts a scanned rule result.
func fillRuleResult(r *ruleResultRecord, s *ruleResultScan, month string) {
	*r = ruleResultRecord{
		RuleID: s.RuleID, Severity: s.Severity, ProvinceCode: s.ProvinceCode, CountyCode: s.CountyCode,
		Year: int32(s.Year), Month: month, IssuerCode: nonEmpty(s.IssuerCode), IssuerName: nonEmpty(s.IssuerName),
		Scope: s.Scope, Value: s.Value, Limit: s.Limit, EventIDs: slices.Clone(s.EventIDs),
		EventCount: int64(s.EventCount), Citation: s.Citation, ComputedAt: s.ComputedAt,
	}
	if r.EventIDs == nil {
		r.EventIDs = []string{}
	}
}

func ptr[T any](v T) *T { return &v }

func count(v uint32) *int64 { n := int64(v); return &n }

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func finite(v *float64) *float64 {
	if v == nil || math.IsNaN(*v) || math.IsInf(*v, 0) {
		return nil
	}
	return ptr(*v)
}

// alertScan is one row of the alerts query.
type alertScan struct {
	AlertID      string    `ch:"alert_id"`
	Level        string    `ch:"level"`
	ProvinceCode string    `ch:"province_code"`
	CountyCode   string    `ch:"county_code"`
	Year         uint16    `ch:"year"`
	Scope        string    `ch:"scope"`
	Value        float64   `ch:"value"`
	Limit        float64   `ch:"limit"`
	Projected    float64   `ch:"projected"`
	FirstSeen    time.Time `ch:"first_seen"`
}

// alertRecord is one row of the exported alerts table.
type alertRecord struct {
	AlertID      string    `parquet:"alert_id"`
	Level        string    `parquet:"level"`
	ProvinceCode string    `parquet:"province_code"`
	CountyCode   string    `parquet:"county_code"`
	Year         int32     `parquet:"year"`
	Month        string    `parquet:"month"`
	Scope        string    `parquet:"scope"`
	Value        float64   `parquet:"value"`
	Limit        float64   `parquet:"limit"`
	Projected    float64   `parquet:"projected"`
	FirstSeen    time.Time `parquet:"first_seen,timestamp(millisecond:utc)"`
}

// fillAlert converts a scanned alert.
func fillAlert(r *alertRecord, s *alertScan, month string) {
	*r = alertRecord{
		AlertID: s.AlertID, Level: s.Level, ProvinceCode: s.ProvinceCode, CountyCode: s.CountyCode,
		Year: int32(s.Year), Month: month, Scope: s.Scope, Value: s.Value, Limit: s.Limit,
		Projected: s.Projected, FirstSeen: s.FirstSeen,
	}
}

// scanScan is one row of the scans query.
type scanScan struct {
	ScanID         string    `ch:"scan_id"`
	ScannedAt      time.Time `ch:"scanned_at"`
	InspectionCode string    `ch:"inspection_code"`
	UnitCode       string    `ch:"unit_code"`
	CountyCode     string    `ch:"county_code"`
	ProvinceCode   string    `ch:"province_code"`
	IssuerCode     string    `ch:"issuer_code"`
	PlanCode       string    `ch:"plan_code"`
	Verdict        string    `ch:"verdict"`
	Reasons        []string  `ch:"reasons"`
	Accompanying   uint32    `ch:"accompanying"`
	Names          []string  `ch:"accompanying_names"`
	Roles          []string  `ch:"accompanying_roles"`
	RecordedAt     time.Time `ch:"recorded_at"`
}

// scanRecord is one row of the exported scans table. The names and roles
// of the accompanying people are personal data, left out by --redact.
type scanRecord struct {
	ScanID         string    `parquet:"scan_id"`
	ScannedAt      time.Time `parquet:"scanned_at,timestamp(millisecond:utc)"`
	Month          string    `parquet:"month"`
	InspectionCode string    `parquet:"inspection_code"`
	UnitCode       *string   `parquet:"unit_code,optional"`
	CountyCode     string    `parquet:"county_code"`
	ProvinceCode   string    `parquet:"province_code"`
	IssuerCode     *string   `parquet:"issuer_code,optional"`
	PlanCode       *string   `parquet:"plan_code,optional"`
	Verdict        string    `parquet:"verdict"`
	Reasons        []string  `parquet:"reasons,list"`
	Accompanying   int64     `parquet:"accompanying"`
	Names          []string  `parquet:"accompanying_names,list"`
	Roles          []string  `parquet:"accompanying_roles,list"`
	RecordedAt     time.Time `parquet:"recorded_at,timestamp(millisecond:utc)"`
}

// fillScan converts a scanned scan registration.
func fillScan(r *scanRecord, s *scanScan, month string) {
	*r = scanRecord{
		ScanID: s.ScanID, ScannedAt: s.ScannedAt, Month: month, InspectionCode: s.InspectionCode,
		UnitCode: nonEmpty(s.UnitCode), CountyCode: s.CountyCode, ProvinceCode: s.ProvinceCode,
		IssuerCode: nonEmpty(s.IssuerCode), PlanCode: nonEmpty(s.PlanCode), Verdict: s.Verdict,
		Reasons: emptyIfNil(slices.Clone(s.Reasons)), Accompanying: int64(s.Accompanying),
		Names: emptyIfNil(slices.Clone(s.Names)), Roles: emptyIfNil(slices.Clone(s.Roles)), RecordedAt: s.RecordedAt,
	}
}

func emptyIfNil(ss []string) []string {
	if ss == nil {
		return []string{}
	}
	return ss
}

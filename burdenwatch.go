// Package burdenwatch holds the domain types of BurdenWatch: the burden
// events that land on observation counties (基层减负观测点), the reference data
// offices maintain, the indicators computed from events and the results of
// checking the provinces' regulations.
//
// The package depends on nothing but the standard library and a JSON parser;
// every external system (Kafka, ClickHouse, Grafana) has its own package
// that translates to and from these types.
package burdenwatch

import (
	"strings"
	"time"
)

// Kind is the kind of burden an event records.
type Kind string

// Event kinds (SPEC §2).
const (
	KindInspection Kind = "inspection"  // 督查检查考核 received
	KindMeeting    Kind = "meeting"     // meeting attended
	KindDocument   Kind = "document"    // document received
	KindDataReport Kind = "data_report" // form to fill
)

// Kinds lists every event kind in a stable order.
var Kinds = []Kind{KindInspection, KindMeeting, KindDocument, KindDataReport}

// Level is the administrative level of the unit that bears a burden.
type Level string

// Target levels.
const (
	LevelCounty   Level = "county"
	LevelTownship Level = "township"
	LevelVillage  Level = "village"
)

// Grassroots reports whether the level is below the county (township or
// village), as SPEC §4 defines "grassroots".
func (l Level) Grassroots() bool { return l == LevelTownship || l == LevelVillage }

// Issuer is the body (party committee, government, department or
// coordination body) that issues a burden.
type Issuer struct {
	Code  string
	Name  string
	Level string // central, province, city, county, township
	Kind  string // party, government, department, coordination_body
}

// Event is one burden landing on an observation county, as received from
// upstream systems and validated. Exactly one of the payloads is meaningful,
// chosen by Kind; the others hold zero values.
type Event struct {
	ID          string
	Revision    uint32
	Kind        Kind
	OccurredAt  time.Time // in Asia/Shanghai
	CountyCode  string
	UnitCode    string // empty when the burden lands on the county itself
	TargetLevel Level
	Issuer      Issuer
	Source      string

	Inspection Inspection
	Meeting    Meeting
	Document   Document
	DataReport DataReport
}

// BearingUnit is the unit that bears the event: UnitCode when present,
// else CountyCode (SPEC §5).
func (e *Event) BearingUnit() string {
	if e.UnitCode != "" {
		return e.UnitCode
	}
	return e.CountyCode
}

// Inspection is the payload of an inspection, check or assessment received.
type Inspection struct {
	Category               string // comprehensive, special, appraisal, research, routine
	PlanCode               string // empty = not in an approved annual plan
	InspectionCode         string // 一事一码; empty = no code shown
	Approved               bool
	Mode                   string // covert, overt, written, online
	OnSite                 bool
	EndAt                  time.Time // zero when not given
	TeamSize               uint32
	Accompanying           uint32
	PrincipalAccompanied   bool
	MaterialsRequested     uint32
	ComprehensiveMaterial  bool
	SampledUnits           uint32
	TotalUnits             uint32
	DeploymentDocID        string
	Topic                  string
	AccountabilityDemanded bool
}

// Meeting is the payload of a meeting attended.
type Meeting struct {
	Title           string
	DurationMinutes uint32
	Attendees       uint32
	Format          string // in_person, video
	Scale           string // large, medium, small
	CascadeRequired bool
}

// Document is the payload of a document received.
type Document struct {
	DocNumber              string
	DocType                string // policy, normative, notice, briefing, plan, decision
	Pages                  uint32
	RequiresSupportingDocs bool
	RequiresUpwardReport   bool
	VetoItems              []string
	Pledges                uint32
}

// DataReport is the payload of a form to fill.
type DataReport struct {
	FormID           string
	Title            string
	Fields           uint32
	DuplicateFields  uint32
	EstimatedMinutes uint32
	Frequency        string // once, daily, weekly, monthly, quarterly, adhoc
	ViaPlatform      bool
	ApprovedSurvey   bool
}

// ObservationPoint is a county designated for continuous monitoring.
type ObservationPoint struct {
	ProvinceCode   string
	CountyCode     string
	CountyName     string
	DesignatedFrom time.Time // a date in Asia/Shanghai
}

// DeadLetter is a message that could not be accepted, kept with the reason.
type DeadLetter struct {
	ReceivedAt time.Time
	Topic      string
	Partition  int32
	Offset     int64
	Raw        []byte
	Reason     string // human-readable, names the field and the value
	ReasonCode string // stable code for grouping (see ValidationError)
	Field      string // the offending field, when there is one
}

// Severity grades a rule result.
type Severity string

// Severities of rule results.
const (
	SeverityViolation Severity = "violation"
	SeverityWarning   Severity = "warning"
)

// Violation is one result of checking a rule: an offending event, or an
// aggregate scope (issuer × county × year, county × window…) that crossed
// its limit. Warnings are Violations of severity SeverityWarning.
type Violation struct {
	RuleID     string
	Severity   Severity
	CountyCode string
	Month      time.Time // first day of the month, Asia/Shanghai
	IssuerCode string    // empty when the scope has no single issuer
	Scope      string    // the scope key, e.g. "issuer=X;county=Y;year=2025"
	Value      float64
	Limit      float64
	EventIDs   []string
	Citation   string
}

// CompareViolations orders results by county, rule id and scope: the
// order rules return them in and rule_results is sorted by. A scope is
// unique within a county, so no two results compare equal.
func CompareViolations(a, b *Violation) int {
	if c := strings.Compare(a.CountyCode, b.CountyCode); c != 0 {
		return c
	}
	if c := strings.Compare(a.RuleID, b.RuleID); c != 0 {
		return c
	}
	return strings.Compare(a.Scope, b.Scope)
}

// Indicator is one burden indicator of one county and month.
type Indicator struct {
	CountyCode string
	Month      time.Time // first day of the month, Asia/Shanghai
	ID         string    // indicator id from SPEC §4
	Value      float64   // NaN where undefined
	YTD        float64   // year-to-date value; NaN where not meaningful
}

// Quota is an annual cap (配额) on what may land on a county; a nil field
// means no cap.
type Quota struct {
	Year        int
	CountyCode  string
	Documents   *int
	Meetings    *int
	Inspections *int
}

// Baseline is a county's counts in a baseline year (只减不增 compares
// against it); a nil field means unknown.
type Baseline struct {
	Year        int
	CountyCode  string
	Documents   *int
	Meetings    *int
	Inspections *int
}

// PlanItem is an item of an issuer's approved annual inspection plan
// (年度计划清单).
type PlanItem struct {
	Year             int
	IssuerCode       string
	PlanCode         string
	Title            string
	Category         string
	MaxVisitsPerUnit int // 0 = no cap
}

// VetoListItem is a retained, approved 一票否决 item of a province.
type VetoListItem struct {
	ProvinceCode string
	Item         string
	Basis        string
}

// Exemption exempts a county from a year's comprehensive inspection (SD-29).
type Exemption struct {
	Year       int
	CountyCode string
	Reason     string
}

// CalendarEntry is a province's calendar rule, e.g. rule
// "no_meeting_weekday" value "3" (Wednesday) or rule "no_meeting_month"
// value "2025-08".
type CalendarEntry struct {
	ProvinceCode string
	Rule         string
	Value        string
}

// Calendar rule names.
const (
	CalendarNoMeetingWeekday = "no_meeting_weekday" // value: 1 (Monday) … 7 (Sunday)
	CalendarNoMeetingMonth   = "no_meeting_month"   // value: YYYY-MM
)

// ReferenceData is the full set of reference data of SPEC §3.
type ReferenceData struct {
	ObservationPoints []ObservationPoint
	Quotas            []Quota
	Baselines         []Baseline
	Plan              []PlanItem
	VetoList          []VetoListItem
	Exemptions        []Exemption
	Calendar          []CalendarEntry
	// InspectionCodes is the code registry (赋码, 一事一码; SPEC §3
	// inspection_codes.csv). A province-year with no entry has no registry.
	InspectionCodes []InspectionCode
}

// InspectionCode is one entry of the code registry (赋码, 一事一码, HN 一.2):
// the code an approved inspection shows on site.
type InspectionCode struct {
	Year         int
	ProvinceCode string // of the issuer's province; derived at load when not given
	Code         string // the inspection_code
	PlanCode     string
	IssuerCode   string
	Title        string
	ValidFrom    time.Time // a date in Asia/Shanghai, inclusive
	ValidTo      time.Time // a date in Asia/Shanghai, inclusive
	Counties     []string  // county codes it may visit; empty = any
}

// AlertLevel grades an early warning (预警, SPEC §8.5).
type AlertLevel string

// Alert levels.
const (
	AlertNotice AlertLevel = "notice" // near the limit
	AlertBreach AlertLevel = "breach" // over the limit
)

// Alert is one threshold crossing of one scope of a county and year
// (SPEC §8.5). ID is derived from county, year, scope and level, so the
// same crossing is the same alert whatever the recomputes.
type Alert struct {
	ID           string
	Level        AlertLevel
	ProvinceCode string
	CountyCode   string
	Year         int
	Scope        string    // e.g. "documents.quota", "visit_cap:<issuer>:<plan>:<unit>"
	Value        float64   // of the month the threshold was first crossed
	Limit        float64   // of that month
	Projected    float64   // year-end value at the current pace
	Month        time.Time // first day of the month first crossed, Asia/Shanghai
	FirstSeen    time.Time
}

// Verdict is the answer to a scan of an inspection code (扫码验证, SPEC §8.2).
type Verdict string

// Verdicts.
const (
	VerdictAccept    Verdict = "accept"     // 可以接受
	VerdictMayRefuse Verdict = "may_refuse" // 可不予配合
)

// Companion is a person accompanying an inspection, registered at the scan
// (陪同人员登记). Personal data.
type Companion struct {
	Name string
	Role string
}

// Scan is the record of one scan registration (SPEC §8.3).
type Scan struct {
	ID             string
	ScannedAt      time.Time
	InspectionCode string
	UnitCode       string
	CountyCode     string
	ProvinceCode   string
	IssuerCode     string
	PlanCode       string
	Verdict        Verdict
	Reasons        []string // the ids of the failed checks
	Accompanying   []Companion
}

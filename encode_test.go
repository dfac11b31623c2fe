package burdenwatch

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// wireIssuer, wireEvent and the payload types below are an independent
// reference for the wire format (SPEC §2): encoding/json over tagged
// structs, which AppendJSON must match byte for byte.
type wireIssuer struct {
	Code  string `json:"code"`
	Name  string `json:"name"`
	Level string `json:"level"`
	Kind  string `json:"kind"`
}

type wireEvent struct {
	EventID     string     `json:"event_id"`
	Revision    uint32     `json:"revision,omitempty"`
	Kind        Kind       `json:"kind"`
	OccurredAt  string     `json:"occurred_at"`
	CountyCode  string     `json:"county_code"`
	UnitCode    string     `json:"unit_code,omitempty"`
	TargetLevel Level      `json:"target_level"`
	Issuer      wireIssuer `json:"issuer"`
	Source      string     `json:"source,omitempty"`
	Payload     any        `json:"payload"`
}

type wireInspection struct {
	Category               string  `json:"category"`
	PlanCode               string  `json:"plan_code"`
	InspectionCode         string  `json:"inspection_code"`
	Approved               bool    `json:"approved"`
	Mode                   string  `json:"mode"`
	OnSite                 bool    `json:"on_site"`
	EndAt                  *string `json:"end_at,omitempty"`
	TeamSize               uint32  `json:"team_size"`
	Accompanying           uint32  `json:"accompanying"`
	PrincipalAccompanied   bool    `json:"principal_accompanied"`
	MaterialsRequested     uint32  `json:"materials_requested"`
	ComprehensiveMaterial  bool    `json:"comprehensive_material"`
	SampledUnits           uint32  `json:"sampled_units"`
	TotalUnits             uint32  `json:"total_units"`
	DeploymentDocID        string  `json:"deployment_doc_id"`
	Topic                  string  `json:"topic"`
	AccountabilityDemanded bool    `json:"accountability_demanded"`
}

type wireMeeting struct {
	Title           string `json:"title"`
	DurationMinutes uint32 `json:"duration_minutes"`
	Attendees       uint32 `json:"attendees"`
	Format          string `json:"format"`
	Scale           string `json:"scale"`
	CascadeRequired bool   `json:"cascade_required"`
}

type wireDocument struct {
	DocNumber              string   `json:"doc_number"`
	DocType                string   `json:"doc_type"`
	Pages                  uint32   `json:"pages"`
	RequiresSupportingDocs bool     `json:"requires_supporting_docs"`
	RequiresUpwardReport   bool     `json:"requires_upward_report"`
	VetoItems              []string `json:"veto_items"`
	Pledges                uint32   `json:"pledges"`
}

type wireDataReport struct {
	FormID           string `json:"form_id"`
	Title            string `json:"title"`
	Fields           uint32 `json:"fields"`
	DuplicateFields  uint32 `json:"duplicate_fields"`
	EstimatedMinutes uint32 `json:"estimated_minutes"`
	Frequency        string `json:"frequency"`
	ViaPlatform      bool   `json:"via_platform"`
	ApprovedSurvey   bool   `json:"approved_survey"`
}

// referenceJSON encodes e with encoding/json.
func referenceJSON(e Event) ([]byte, error) {
	w := wireEvent{
		EventID:     e.ID,
		Revision:    e.Revision,
		Kind:        e.Kind,
		OccurredAt:  e.OccurredAt.Format(time.RFC3339),
		CountyCode:  e.CountyCode,
		UnitCode:    e.UnitCode,
		TargetLevel: e.TargetLevel,
		Issuer:      wireIssuer(e.Issuer),
		Source:      e.Source,
	}
	switch e.Kind {
	case KindInspection:
		w.Payload = referenceInspection(e.Inspection)
	case KindMeeting:
		w.Payload = wireMeeting(e.Meeting)
	case KindDocument:
		d := wireDocument(e.Document)
		if d.VetoItems == nil {
			d.VetoItems = []string{}
		}
		w.Payload = d
	case KindDataReport:
		w.Payload = wireDataReport(e.DataReport)
	default:
		w.Payload = struct{}{}
	}
	return json.Marshal(w)
}

func referenceInspection(in Inspection) wireInspection {
	w := wireInspection{
		Category: in.Category, PlanCode: in.PlanCode, InspectionCode: in.InspectionCode,
		Approved: in.Approved, Mode: in.Mode, OnSite: in.OnSite, TeamSize: in.TeamSize,
		Accompanying: in.Accompanying, PrincipalAccompanied: in.PrincipalAccompanied,
		MaterialsRequested: in.MaterialsRequested, ComprehensiveMaterial: in.ComprehensiveMaterial,
		SampledUnits: in.SampledUnits, TotalUnits: in.TotalUnits, DeploymentDocID: in.DeploymentDocID,
		Topic: in.Topic, AccountabilityDemanded: in.AccountabilityDemanded,
	}
	if !in.EndAt.IsZero() {
		s := in.EndAt.Format(time.RFC3339)
		w.EndAt = &s
	}
	return w
}

func TestAppendJSONEscapes(t *testing.T) {
	ev := Event{
		ID: "x", Revision: 3, Kind: KindDataReport, OccurredAt: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC),
		CountyCode: "431024", TargetLevel: LevelCounty,
		Issuer:     Issuer{Code: "a<b>&c", Name: "\"引号\"\\\n\t\b\f\x01\u2028\u2029\xff", Level: "city", Kind: "party"},
		DataReport: DataReport{FormID: "f", Title: "表\r", Fields: 3, Frequency: "once"},
	}
	want := `{"event_id":"x","revision":3,"kind":"data_report","occurred_at":"2025-01-02T03:04:05Z","county_code":"431024",` +
		`"target_level":"county","issuer":{"code":"a\u003cb\u003e\u0026c","name":"\"引号\"\\\n\t\b\f\u0001\u2028\u2029\ufffd",` +
		`"level":"city","kind":"party"},"payload":{"form_id":"f","title":"表\r","fields":3,"duplicate_fields":0,` +
		`"estimated_minutes":0,"frequency":"once","via_platform":false,"approved_survey":false}}`
	if got := string(ev.AppendJSON(nil)); got != want {
		t.Errorf("AppendJSON:\n got %s\nwant %s", got, want)
	}
}

// TestAppendJSONMatchesReference encodes random events of every kind, with
// strings drawn from awkward characters, and compares with encoding/json.
func TestAppendJSONMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 2000; i++ {
		ev := randomEvent(r)
		want, err := referenceJSON(ev)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ev.MarshalJSON()
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("event %d (%v):\n got %s\nwant %s", i, err, got, want)
		}
		if !json.Valid(got) {
			t.Fatalf("event %d: invalid JSON %s", i, got)
		}
	}
}

var awkward = []string{"a", "Z", "0", " ", "\"", "\\", "/", "<", ">", "&", "\n", "\x00", "\x1f", "\x7f", "é", "督",
	"\u00ad", "\u200b", "\u2028", "\u2029", "\ufeff", "😀", "\xff", "\xe2\x80", "\xc2", "〔", "\U0010ffff"}

func randomText(r *rand.Rand) string {
	var b strings.Builder
	for n := r.IntN(12); n > 0; n-- {
		b.WriteString(awkward[r.IntN(len(awkward))])
	}
	return b.String()
}

func randomEvent(r *rand.Rand) Event {
	zone := time.FixedZone("", (r.IntN(29)-14)*3600)
	at := time.Unix(r.Int64N(4_000_000_000), 0).In(zone)
	ev := Event{
		ID: randomText(r), Revision: uint32(r.IntN(3)), Kind: Kinds[r.IntN(len(Kinds))], OccurredAt: at,
		CountyCode: randomText(r), TargetLevel: Level(randomText(r)),
		Issuer: Issuer{Code: randomText(r), Name: randomText(r), Level: randomText(r), Kind: randomText(r)},
	}
	if r.IntN(2) == 0 {
		ev.UnitCode, ev.Source = randomText(r), randomText(r)
	}
	n := func() uint32 { return r.Uint32() >> uint(r.IntN(32)) }
	switch ev.Kind {
	case KindInspection:
		ev.Inspection = Inspection{Category: randomText(r), PlanCode: randomText(r), InspectionCode: randomText(r),
			Approved: r.IntN(2) == 0, Mode: randomText(r), OnSite: r.IntN(2) == 0, TeamSize: n(), Accompanying: n(),
			MaterialsRequested: n(), SampledUnits: n(), TotalUnits: n(), DeploymentDocID: randomText(r), Topic: randomText(r)}
		if r.IntN(2) == 0 {
			ev.Inspection.EndAt = at.Add(time.Duration(r.IntN(1000)) * time.Hour)
		}
	case KindMeeting:
		ev.Meeting = Meeting{Title: randomText(r), DurationMinutes: n(), Attendees: n(), Format: randomText(r),
			Scale: randomText(r), CascadeRequired: r.IntN(2) == 0}
	case KindDocument:
		ev.Document = Document{DocNumber: randomText(r), DocType: randomText(r), Pages: n(), Pledges: n(),
			RequiresSupportingDocs: r.IntN(2) == 0, RequiresUpwardReport: r.IntN(2) == 0}
		for k := r.IntN(4); k > 0; k-- {
			ev.Document.VetoItems = append(ev.Document.VetoItems, randomText(r))
		}
	case KindDataReport:
		ev.DataReport = DataReport{FormID: randomText(r), Title: randomText(r), Fields: n(), DuplicateFields: n(),
			EstimatedMinutes: n(), Frequency: randomText(r), ViaPlatform: r.IntN(2) == 0, ApprovedSurvey: r.IntN(2) == 0}
	}
	return ev
}

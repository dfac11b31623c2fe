package burdenwatch

import (
	"encoding/json"
	"time"
)

// wireIssuer, wireEvent and the payload types below are the JSON form of an
// event on the topic (SPEC §2).
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

// MarshalJSON writes the event in the wire format of SPEC §2, with
// timestamps in RFC 3339 at their own offset.
func (e Event) MarshalJSON() ([]byte, error) {
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
		w.Payload = wireInspectionOf(e.Inspection)
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

func wireInspectionOf(in Inspection) wireInspection {
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

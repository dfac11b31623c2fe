package clickhouse

import (
	"encoding/binary"
	"fmt"
	"time"

	bw "github.com/burdenwatch/burdenwatch"
)

// Delivery locates an event's message on Kafka.
type Delivery struct {
	Topic     string
	Partition int32
	Offset    int64
}

// wireKind is how a column of the events table is held: already in
// ClickHouse's Native serialization, so that an insert sends the bytes as
// they are (issue 11: no copy into the driver's columns, no string header
// per value, nothing for the garbage collector to scan).
type wireKind uint8

const (
	wireString   wireKind = iota // String: uvarint length and bytes of each value
	wireEnum                     // Enum8 held as its names (String serialization), coded at insert
	wireUInt8                    // UInt8
	wireUInt32                   // UInt32, little endian
	wireUInt64                   // UInt64
	wireInt32                    // Int32
	wireInt64                    // Int64
	wireDateTime                 // DateTime: UInt32 seconds since the epoch
	wireStrings                  // Array(String): the values' String serialization; offsets apart
	wireSeq                      // ingest_seq, the same for every row of an insert
	wireIngested                 // ingested_at, the same for every row of an insert
)

// eventColumn is one column of the events table as EventRows writes it.
type eventColumn struct {
	name string
	kind wireKind
}

// Indexes of EventRows.data, in the order of wireColumns.
const (
	cEventID = iota
	cRevision
	cVersion
	cKind
	cOccurredAt
	cProvinceCode
	cCountyCode
	cUnitCode
	cBearingUnit
	cTargetLevel
	cIssuerCode
	cIssuerName
	cIssuerLevel
	cIssuerKind
	cSource
	cCategory
	cPlanCode
	cInspectionCode
	cApproved
	cMode
	cOnSite
	cEndAt
	cTeamSize
	cAccompanying
	cPrincipal
	cMaterials
	cCompMaterial
	cSampled
	cTotal
	cDeploymentDocID
	cTopic
	cAccountability
	cTitle
	cDuration
	cAttendees
	cFormat
	cScale
	cCascade
	cDocNumber
	cDocType
	cPages
	cSupporting
	cUpward
	cVetoItems
	cPledges
	cFormID
	cFields
	cDupFields
	cEstMin
	cFrequency
	cViaPlatform
	cApprovedSurvey
	cKafkaTopic
	cKafkaPartition
	cKafkaOffset
	cIngestSeq
	cIngestedAt
	nEventColumns
)

// wireColumns are the events table's columns EventRows writes, in order.
var wireColumns = [nEventColumns]eventColumn{
	{"event_id", wireString}, {"revision", wireUInt32}, {"version", wireUInt64},
	{"kind", wireEnum}, {"occurred_at", wireDateTime}, {"province_code", wireString},
	{"county_code", wireString}, {"unit_code", wireString}, {"bearing_unit", wireString},
	{"target_level", wireEnum}, {"issuer_code", wireString}, {"issuer_name", wireString},
	{"issuer_level", wireEnum}, {"issuer_kind", wireEnum}, {"source", wireString},
	{"category", wireString}, {"plan_code", wireString}, {"inspection_code", wireString},
	{"approved", wireUInt8}, {"mode", wireString}, {"on_site", wireUInt8}, {"end_at", wireDateTime},
	{"team_size", wireUInt32}, {"accompanying", wireUInt32},
	{"principal_accompanied", wireUInt8}, {"materials_requested", wireUInt32},
	{"comprehensive_material", wireUInt8}, {"sampled_units", wireUInt32},
	{"total_units", wireUInt32}, {"deployment_doc_id", wireString}, {"topic", wireString},
	{"accountability_demanded", wireUInt8}, {"title", wireString},
	{"duration_minutes", wireUInt32}, {"attendees", wireUInt32}, {"format", wireString},
	{"scale", wireString}, {"cascade_required", wireUInt8}, {"doc_number", wireString},
	{"doc_type", wireString}, {"pages", wireUInt32}, {"requires_supporting_docs", wireUInt8},
	{"requires_upward_report", wireUInt8}, {"veto_items", wireStrings}, {"pledges", wireUInt32},
	{"form_id", wireString}, {"fields", wireUInt32}, {"duplicate_fields", wireUInt32},
	{"estimated_minutes", wireUInt32}, {"frequency", wireString}, {"via_platform", wireUInt8},
	{"approved_survey", wireUInt8}, {"kafka_topic", wireString},
	{"kafka_partition", wireInt32}, {"kafka_offset", wireInt64},
	{"ingest_seq", wireSeq}, {"ingested_at", wireIngested},
}

// EventRows accumulates events column by column for one batch insert into
// the events table, each column in ClickHouse's Native serialization. The
// zero value is ready to use.
//
// Each column is a buffer and a count of the bytes used: appending writes
// into the buffer and moves the count, and stores a pointer only when the
// buffer grows — a slice header stored per value costs a write barrier
// whenever the collector runs, which is often in a process held to a
// memory budget.
type EventRows struct {
	n     int
	buf   [nBuffers][]byte // len(buf[i]) is its capacity
	used  [nBuffers]int
	nveto uint64
	kinds [5]int // events by kind (index: the Enum8 code of kind)
}

// The buffers: one per column, and the Array(String) offsets of
// veto_items (cumulative value counts, UInt64).
const (
	bVetoOffsets = nEventColumns
	nBuffers     = nEventColumns + 1
)

// col is the bytes of buffer i.
func (r *EventRows) col(i int) []byte { return r.buf[i][:r.used[i]] }

// room returns the next k bytes of buffer i, growing it when needed.
func (r *EventRows) room(i, k int) []byte {
	u := r.used[i]
	if u+k > len(r.buf[i]) {
		grown := make([]byte, max(2*len(r.buf[i]), u+k, 256))
		copy(grown, r.buf[i][:u])
		r.buf[i] = grown
	}
	r.used[i] = u + k
	return r.buf[i][u : u+k : u+k]
}

// NewEventRows returns EventRows with room for about n events, so that
// appending rarely copies a column as it grows.
func NewEventRows(n int) *EventRows {
	r := &EventRows{}
	for i, c := range wireColumns {
		if w := c.kind.width(); w > 0 {
			r.buf[i] = make([]byte, n*w)
		}
	}
	for _, i := range []int{cEventID, cCountyCode, cUnitCode, cBearingUnit, cIssuerCode, cIssuerName, cTitle} {
		r.buf[i] = make([]byte, n*24)
	}
	r.buf[bVetoOffsets] = make([]byte, n*8)
	return r
}

// RowSizes are the bytes an event took in each column of some decoded
// rows: NewEventRowsSized sizes new rows by them, so that their columns
// rarely grow (a copy each time) while a chunk is decoded.
type RowSizes struct {
	perRow [nBuffers]float64
}

// RowSizes measures the rows' bytes per event by column.
func (r *EventRows) RowSizes() RowSizes {
	var s RowSizes
	if r.n == 0 {
		return s
	}
	for i, u := range r.used {
		s.perRow[i] = float64(u) / float64(r.n)
	}
	return s
}

// Total is the bytes of an event in all columns.
func (s RowSizes) Total() float64 {
	var t float64
	for _, b := range s.perRow {
		t += b
	}
	return t
}

// NewEventRowsSized returns EventRows with room for n events of sizes s
// (and 10 % more); zero sizes are NewEventRows(n).
func NewEventRowsSized(n int, s RowSizes) *EventRows {
	if s == (RowSizes{}) {
		return NewEventRows(n)
	}
	r := &EventRows{}
	for i, per := range s.perRow {
		r.buf[i] = make([]byte, int(per*float64(n)*1.1)+64)
	}
	return r
}

// width is the bytes per value of a fixed-width kind, else 0.
func (k wireKind) width() int {
	switch k {
	case wireUInt8:
		return 1
	case wireUInt32, wireInt32, wireDateTime:
		return 4
	case wireUInt64, wireInt64:
		return 8
	}
	return 0
}

// Compact drops the spare room of the buffers that grew by doubling, so
// that held rows cost about what they hold. Buffers sized from an earlier
// chunk (NewEventRowsSized: 10 % spare) are left as they are.
func (r *EventRows) Compact() {
	for i, b := range r.buf {
		if u := r.used[i]; len(b)-u > u/8+64 {
			r.buf[i] = append([]byte(nil), b[:u]...)
		}
	}
}

// Len is the number of events held.
func (r *EventRows) Len() int { return r.n }

// Bytes is the memory the rows hold (their buffers).
func (r *EventRows) Bytes() int64 {
	var n int64
	for _, b := range r.buf {
		n += int64(len(b))
	}
	return n
}

// KindCounts counts the events held by kind.
func (r *EventRows) KindCounts() map[bw.Kind]int {
	out := map[bw.Kind]int{}
	for code, n := range r.kinds {
		if n > 0 {
			out[kindOfCode[code]] = n
		}
	}
	return out
}

var kindOfCode = [5]bw.Kind{"", bw.KindInspection, bw.KindMeeting, bw.KindDocument, bw.KindDataReport}

func (r *EventRows) str(i int, s string) {
	var head [binary.MaxVarintLen64]byte
	h := binary.PutUvarint(head[:], uint64(len(s)))
	b := r.room(i, h+len(s))
	copy(b, head[:h])
	copy(b[h:], s)
}

func (r *EventRows) u8(i int, b bool) {
	v := byte(0)
	if b {
		v = 1
	}
	r.room(i, 1)[0] = v
}

func (r *EventRows) u32(i int, v uint32) { binary.LittleEndian.PutUint32(r.room(i, 4), v) }

func (r *EventRows) u64(i int, v uint64) { binary.LittleEndian.PutUint64(r.room(i, 8), v) }

// datetime appends t as DateTime; the zero time is the epoch.
func (r *EventRows) datetime(i int, t time.Time) {
	var s int64
	if !t.IsZero() {
		s = t.Unix()
	}
	r.u32(i, uint32(s))
}

// Append adds one validated event with its deduplication version and the
// Kafka coordinates it came from. It copies every string of ev, so ev may
// alias a message buffer that is reused afterwards.
func (r *EventRows) Append(ev *bw.Event, version uint64, d Delivery) {
	r.n++
	r.kinds[kindCode(ev.Kind)]++
	r.str(cEventID, ev.ID)
	r.u32(cRevision, ev.Revision)
	r.u64(cVersion, version)
	r.str(cKind, string(ev.Kind))
	r.datetime(cOccurredAt, ev.OccurredAt)
	r.str(cProvinceCode, ev.CountyCode[:min(2, len(ev.CountyCode))])
	r.str(cCountyCode, ev.CountyCode)
	r.str(cUnitCode, ev.UnitCode)
	r.str(cBearingUnit, ev.BearingUnit())
	r.str(cTargetLevel, string(ev.TargetLevel))
	r.str(cIssuerCode, ev.Issuer.Code)
	r.str(cIssuerName, ev.Issuer.Name)
	r.str(cIssuerLevel, ev.Issuer.Level)
	r.str(cIssuerKind, ev.Issuer.Kind)
	r.str(cSource, ev.Source)
	r.appendInspection(&ev.Inspection)
	r.str(cTitle, eventTitle(ev))
	r.appendMeeting(&ev.Meeting)
	r.appendDocument(&ev.Document)
	r.appendDataReport(&ev.DataReport)
	r.str(cKafkaTopic, d.Topic)
	r.u32(cKafkaPartition, uint32(d.Partition))
	r.u64(cKafkaOffset, uint64(d.Offset))
}

func kindCode(k bw.Kind) int {
	for code, name := range kindOfCode {
		if code > 0 && name == k {
			return code
		}
	}
	return 0
}

func (r *EventRows) appendInspection(in *bw.Inspection) {
	r.str(cCategory, in.Category)
	r.str(cPlanCode, in.PlanCode)
	r.str(cInspectionCode, in.InspectionCode)
	r.u8(cApproved, in.Approved)
	r.str(cMode, in.Mode)
	r.u8(cOnSite, in.OnSite)
	r.datetime(cEndAt, in.EndAt)
	r.u32(cTeamSize, in.TeamSize)
	r.u32(cAccompanying, in.Accompanying)
	r.u8(cPrincipal, in.PrincipalAccompanied)
	r.u32(cMaterials, in.MaterialsRequested)
	r.u8(cCompMaterial, in.ComprehensiveMaterial)
	r.u32(cSampled, in.SampledUnits)
	r.u32(cTotal, in.TotalUnits)
	r.str(cDeploymentDocID, in.DeploymentDocID)
	r.str(cTopic, in.Topic)
	r.u8(cAccountability, in.AccountabilityDemanded)
}

func (r *EventRows) appendMeeting(m *bw.Meeting) {
	r.u32(cDuration, m.DurationMinutes)
	r.u32(cAttendees, m.Attendees)
	r.str(cFormat, m.Format)
	r.str(cScale, m.Scale)
	r.u8(cCascade, m.CascadeRequired)
}

func (r *EventRows) appendDocument(d *bw.Document) {
	r.str(cDocNumber, d.DocNumber)
	r.str(cDocType, d.DocType)
	r.u32(cPages, d.Pages)
	r.u8(cSupporting, d.RequiresSupportingDocs)
	r.u8(cUpward, d.RequiresUpwardReport)
	for _, v := range d.VetoItems {
		r.str(cVetoItems, v)
	}
	r.nveto += uint64(len(d.VetoItems))
	r.u64(bVetoOffsets, r.nveto)
	r.u32(cPledges, d.Pledges)
}

func (r *EventRows) appendDataReport(f *bw.DataReport) {
	r.str(cFormID, f.FormID)
	r.u32(cFields, f.Fields)
	r.u32(cDupFields, f.DuplicateFields)
	r.u32(cEstMin, f.EstimatedMinutes)
	r.str(cFrequency, f.Frequency)
	r.u8(cViaPlatform, f.ViaPlatform)
	r.u8(cApprovedSurvey, f.ApprovedSurvey)
}

// eventTitle is the title column: a meeting's or a form's title.
func eventTitle(ev *bw.Event) string {
	if ev.Kind == bw.KindMeeting {
		return ev.Meeting.Title
	}
	return ev.DataReport.Title
}

// columns returns the rows as Go slices, one per column (as clickhouse-go
// and JSON take them), stamped with ingest sequence seq at time now.
func (r *EventRows) columns(seq uint64, now time.Time) []column {
	cols := make([]column, nEventColumns)
	for i, c := range wireColumns {
		cols[i] = column{c.name, r.goValues(i, seq, now)}
	}
	return cols
}

// goValues decodes column i into a Go slice.
func (r *EventRows) goValues(i int, seq uint64, now time.Time) any {
	d, le := r.col(i), binary.LittleEndian
	switch wireColumns[i].kind {
	case wireString, wireEnum:
		return decodeStrings(d, r.n)
	case wireUInt8:
		return append([]uint8{}, d...)
	case wireUInt32:
		return fixedValues(d, 4, func(b []byte) uint32 { return le.Uint32(b) })
	case wireUInt64:
		return fixedValues(d, 8, func(b []byte) uint64 { return le.Uint64(b) })
	case wireInt32:
		return fixedValues(d, 4, func(b []byte) int32 { return int32(le.Uint32(b)) })
	case wireInt64:
		return fixedValues(d, 8, func(b []byte) int64 { return int64(le.Uint64(b)) })
	case wireDateTime:
		return fixedValues(d, 4, func(b []byte) time.Time { return time.Unix(int64(le.Uint32(b)), 0) })
	case wireStrings:
		all := decodeStrings(d, int(r.nveto))
		out := make([][]string, r.n)
		var lo uint64
		for j, hi := range fixedValues(r.col(bVetoOffsets), 8, le.Uint64) {
			out[j] = all[lo:hi:hi]
			lo = hi
		}
		return out
	case wireSeq:
		return repeat(seq, r.n)
	case wireIngested:
		return repeat(now, r.n)
	}
	panic(fmt.Sprintf("clickhouse: events column %s: kind %d not handled", wireColumns[i].name, wireColumns[i].kind))
}

// decodeStrings reads n values of String serialization.
func decodeStrings(d []byte, n int) []string {
	out := make([]string, 0, n)
	for len(d) > 0 {
		l, k := binary.Uvarint(d)
		out = append(out, string(d[k:k+int(l)]))
		d = d[k+int(l):]
	}
	return out
}

func fixedValues[T any](d []byte, w int, f func([]byte) T) []T {
	out := make([]T, len(d)/w)
	for i := range out {
		out[i] = f(d[i*w : (i+1)*w])
	}
	return out
}

func repeat[T any](v T, n int) []T {
	out := make([]T, n)
	for i := range out {
		out[i] = v
	}
	return out
}

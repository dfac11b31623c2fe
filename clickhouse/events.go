package clickhouse

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"reflect"
	"strings"
	"syscall"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	bw "github.com/burdenwatch/burdenwatch"
)

// Delivery locates an event's message on Kafka.
type Delivery struct {
	Topic     string
	Partition int32
	Offset    int64
}

// EventRows accumulates events column by column for one batch insert into
// the events table. The zero value is ready to use.
type EventRows struct {
	n int

	eventID, provinceCode, countyCode, unitCode, bearingUnit       []string
	kind, targetLevel, issuerCode, issuerName, issuerLevel         []string
	issuerKind, source                                             []string
	revision                                                       []uint32
	version                                                        []uint64
	occurredAt, endAt                                              []time.Time
	category, planCode, inspectionCode, mode, deploymentDocID      []string
	topic, title, format, scale, docNumber, docType, formID, freq  []string
	approved, onSite, principal, compMaterial, accountability      []uint8
	cascade, supporting, upward, viaPlatform, approvedSurvey       []uint8
	teamSize, accompanying, materials, sampled, total              []uint32
	duration, attendees, pages, pledges, fields, dupFields, estMin []uint32
	vetoItems                                                      [][]string
	kafkaTopic                                                     []string
	kafkaPartition                                                 []int32
	kafkaOffset                                                    []int64
}

// Len is the number of events held.
func (r *EventRows) Len() int { return r.n }

// Append adds one validated event with its deduplication version and the
// Kafka coordinates it came from.
func (r *EventRows) Append(ev *bw.Event, version uint64, d Delivery) {
	r.n++
	r.eventID = append(r.eventID, ev.ID)
	r.revision = append(r.revision, ev.Revision)
	r.version = append(r.version, version)
	r.kind = append(r.kind, string(ev.Kind))
	r.occurredAt = append(r.occurredAt, ev.OccurredAt)
	r.provinceCode = append(r.provinceCode, ev.CountyCode[:2])
	r.countyCode = append(r.countyCode, ev.CountyCode)
	r.unitCode = append(r.unitCode, ev.UnitCode)
	r.bearingUnit = append(r.bearingUnit, ev.BearingUnit())
	r.targetLevel = append(r.targetLevel, string(ev.TargetLevel))
	r.issuerCode = append(r.issuerCode, ev.Issuer.Code)
	r.issuerName = append(r.issuerName, ev.Issuer.Name)
	r.issuerLevel = append(r.issuerLevel, ev.Issuer.Level)
	r.issuerKind = append(r.issuerKind, ev.Issuer.Kind)
	r.source = append(r.source, ev.Source)
	r.appendInspection(&ev.Inspection)
	r.appendMeeting(&ev.Meeting)
	r.appendDocument(&ev.Document)
	r.appendDataReport(&ev.DataReport)
	r.title = append(r.title, eventTitle(ev))
	r.kafkaTopic = append(r.kafkaTopic, d.Topic)
	r.kafkaPartition = append(r.kafkaPartition, d.Partition)
	r.kafkaOffset = append(r.kafkaOffset, d.Offset)
}

func (r *EventRows) appendInspection(in *bw.Inspection) {
	r.category = append(r.category, in.Category)
	r.planCode = append(r.planCode, in.PlanCode)
	r.inspectionCode = append(r.inspectionCode, in.InspectionCode)
	r.approved = append(r.approved, b2u(in.Approved))
	r.mode = append(r.mode, in.Mode)
	r.onSite = append(r.onSite, b2u(in.OnSite))
	end := in.EndAt
	if end.IsZero() {
		end = time.Unix(0, 0)
	}
	r.endAt = append(r.endAt, end)
	r.teamSize = append(r.teamSize, in.TeamSize)
	r.accompanying = append(r.accompanying, in.Accompanying)
	r.principal = append(r.principal, b2u(in.PrincipalAccompanied))
	r.materials = append(r.materials, in.MaterialsRequested)
	r.compMaterial = append(r.compMaterial, b2u(in.ComprehensiveMaterial))
	r.sampled = append(r.sampled, in.SampledUnits)
	r.total = append(r.total, in.TotalUnits)
	r.deploymentDocID = append(r.deploymentDocID, in.DeploymentDocID)
	r.topic = append(r.topic, in.Topic)
	r.accountability = append(r.accountability, b2u(in.AccountabilityDemanded))
}

func (r *EventRows) appendMeeting(m *bw.Meeting) {
	r.duration = append(r.duration, m.DurationMinutes)
	r.attendees = append(r.attendees, m.Attendees)
	r.format = append(r.format, m.Format)
	r.scale = append(r.scale, m.Scale)
	r.cascade = append(r.cascade, b2u(m.CascadeRequired))
}

func (r *EventRows) appendDocument(d *bw.Document) {
	r.docNumber = append(r.docNumber, d.DocNumber)
	r.docType = append(r.docType, d.DocType)
	r.pages = append(r.pages, d.Pages)
	r.supporting = append(r.supporting, b2u(d.RequiresSupportingDocs))
	r.upward = append(r.upward, b2u(d.RequiresUpwardReport))
	v := d.VetoItems
	if v == nil {
		v = []string{}
	}
	r.vetoItems = append(r.vetoItems, v)
	r.pledges = append(r.pledges, d.Pledges)
}

func (r *EventRows) appendDataReport(f *bw.DataReport) {
	r.formID = append(r.formID, f.FormID)
	r.fields = append(r.fields, f.Fields)
	r.dupFields = append(r.dupFields, f.DuplicateFields)
	r.estMin = append(r.estMin, f.EstimatedMinutes)
	r.freq = append(r.freq, f.Frequency)
	r.viaPlatform = append(r.viaPlatform, b2u(f.ViaPlatform))
	r.approvedSurvey = append(r.approvedSurvey, b2u(f.ApprovedSurvey))
}

// eventTitle is the title column: a meeting's or a form's title.
func eventTitle(ev *bw.Event) string {
	if ev.Kind == bw.KindMeeting {
		return ev.Meeting.Title
	}
	return ev.DataReport.Title
}

func b2u(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

// column is one column of the events table with its data in r.
type column struct {
	name string
	data any
}

func (r *EventRows) columns(seq uint64, now time.Time) []column {
	seqs := make([]uint64, r.n)
	ingested := make([]time.Time, r.n)
	for i := range seqs {
		seqs[i] = seq
		ingested[i] = now
	}
	return []column{
		{"event_id", r.eventID}, {"revision", r.revision}, {"version", r.version},
		{"kind", r.kind}, {"occurred_at", r.occurredAt}, {"province_code", r.provinceCode},
		{"county_code", r.countyCode}, {"unit_code", r.unitCode}, {"bearing_unit", r.bearingUnit},
		{"target_level", r.targetLevel}, {"issuer_code", r.issuerCode}, {"issuer_name", r.issuerName},
		{"issuer_level", r.issuerLevel}, {"issuer_kind", r.issuerKind}, {"source", r.source},
		{"category", r.category}, {"plan_code", r.planCode}, {"inspection_code", r.inspectionCode},
		{"approved", r.approved}, {"mode", r.mode}, {"on_site", r.onSite}, {"end_at", r.endAt},
		{"team_size", r.teamSize}, {"accompanying", r.accompanying},
		{"principal_accompanied", r.principal}, {"materials_requested", r.materials},
		{"comprehensive_material", r.compMaterial}, {"sampled_units", r.sampled},
		{"total_units", r.total}, {"deployment_doc_id", r.deploymentDocID}, {"topic", r.topic},
		{"accountability_demanded", r.accountability}, {"title", r.title},
		{"duration_minutes", r.duration}, {"attendees", r.attendees}, {"format", r.format},
		{"scale", r.scale}, {"cascade_required", r.cascade}, {"doc_number", r.docNumber},
		{"doc_type", r.docType}, {"pages", r.pages}, {"requires_supporting_docs", r.supporting},
		{"requires_upward_report", r.upward}, {"veto_items", r.vetoItems}, {"pledges", r.pledges},
		{"form_id", r.formID}, {"fields", r.fields}, {"duplicate_fields", r.dupFields},
		{"estimated_minutes", r.estMin}, {"frequency", r.freq}, {"via_platform", r.viaPlatform},
		{"approved_survey", r.approvedSurvey}, {"kafka_topic", r.kafkaTopic},
		{"kafka_partition", r.kafkaPartition}, {"kafka_offset", r.kafkaOffset},
		{"ingest_seq", seqs}, {"ingested_at", ingested},
	}
}

// InsertEvents writes the events of parts to the events table in one
// INSERT, one block per part, stamped with ingest sequence seq (the
// transformer's watermark).
func (db *DB) InsertEvents(ctx context.Context, parts []*EventRows, seq uint64) error {
	now := time.Now()
	var blocks [][]column
	for _, p := range parts {
		if p.n > 0 {
			blocks = append(blocks, p.columns(seq, now))
		}
	}
	if len(blocks) == 0 {
		return nil
	}
	return db.insertBlocks(ctx, "events", blocks)
}

// insertBlockRows is the size of the blocks an insert is sent in: one
// INSERT, several native blocks, so the client never builds one huge buffer.
const insertBlockRows = 32768

// insertColumns sends column data to table in one INSERT, cut into blocks
// of insertBlockRows.
func (db *DB) insertColumns(ctx context.Context, table string, cols []column) error {
	n := reflect.ValueOf(cols[0].data).Len()
	var blocks [][]column
	for lo := 0; lo < n || lo == 0; lo += insertBlockRows {
		hi := min(lo+insertBlockRows, n)
		block := make([]column, len(cols))
		for i, c := range cols {
			block[i] = column{c.name, reflect.ValueOf(c.data).Slice(lo, hi).Interface()}
		}
		blocks = append(blocks, block)
	}
	return db.insertBlocks(ctx, table, blocks)
}

// insertBlocks sends blocks of column data, all with the same columns, to
// table in one INSERT. ClickHouse squashes the blocks of one INSERT into
// parts, while the client never builds one huge buffer.
func (db *DB) insertBlocks(ctx context.Context, table string, blocks [][]column) error {
	names := make([]string, len(blocks[0]))
	for i, c := range blocks[0] {
		names[i] = quoteIdent(c.name)
	}
	query := "INSERT INTO " + table + " (" + strings.Join(names, ", ") + ")"
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("clickhouse: insert into %s: %w", table, err)
	}
	// The batch runs without cancellation, bounded by the driver's read
	// timeout: clickhouse-go closes a batch's connection when its context
	// ends, and a cancel that lands just after Send returned would close a
	// connection already back in the pool. An insert under way finishes.
	b, err := db.conn.PrepareBatch(context.WithoutCancel(ctx), query)
	if err != nil {
		return fmt.Errorf("clickhouse: prepare insert into %s: %w", table, err)
	}
	defer b.Close()
	for k, block := range blocks {
		for i, c := range block {
			if err := b.Column(i).Append(c.data); err != nil {
				return fmt.Errorf("clickhouse: insert into %s, column %s: %w", table, c.name, err)
			}
		}
		if k < len(blocks)-1 {
			if err := b.Flush(); err != nil {
				return fmt.Errorf("clickhouse: insert into %s: %w", table, err)
			}
		}
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("clickhouse: insert into %s: %w", table, err)
	}
	return nil
}

// NewEventRows returns EventRows with room for n events, so that appending
// does not copy the columns as they grow.
func NewEventRows(n int) *EventRows {
	str := func() []string { return make([]string, 0, n) }
	u8 := func() []uint8 { return make([]uint8, 0, n) }
	u32 := func() []uint32 { return make([]uint32, 0, n) }
	ts := func() []time.Time { return make([]time.Time, 0, n) }
	return &EventRows{
		eventID: str(), provinceCode: str(), countyCode: str(), unitCode: str(), bearingUnit: str(),
		kind: str(), targetLevel: str(), issuerCode: str(), issuerName: str(), issuerLevel: str(),
		issuerKind: str(), source: str(), revision: u32(), version: make([]uint64, 0, n),
		occurredAt: ts(), endAt: ts(), category: str(), planCode: str(), inspectionCode: str(),
		mode: str(), deploymentDocID: str(), topic: str(), title: str(), format: str(), scale: str(),
		docNumber: str(), docType: str(), formID: str(), freq: str(), approved: u8(), onSite: u8(),
		principal: u8(), compMaterial: u8(), accountability: u8(), cascade: u8(), supporting: u8(),
		upward: u8(), viaPlatform: u8(), approvedSurvey: u8(), teamSize: u32(), accompanying: u32(),
		materials: u32(), sampled: u32(), total: u32(), duration: u32(), attendees: u32(), pages: u32(),
		pledges: u32(), fields: u32(), dupFields: u32(), estMin: u32(), vetoItems: make([][]string, 0, n),
		kafkaTopic: str(), kafkaPartition: make([]int32, 0, n), kafkaOffset: make([]int64, 0, n),
	}
}

// KindCounts counts the events held by kind.
func (r *EventRows) KindCounts() map[bw.Kind]int {
	out := map[bw.Kind]int{}
	for _, k := range r.kind {
		out[bw.Kind(k)]++
	}
	return out
}

// transientCodes are server exceptions that go away by themselves: a busy
// or overloaded server, a network hiccup seen by the server.
var transientCodes = map[int32]bool{
	159: true, // TIMEOUT_EXCEEDED
	164: true, // READONLY (a replica catching up)
	202: true, // TOO_MANY_SIMULTANEOUS_QUERIES
	209: true, // SOCKET_TIMEOUT
	210: true, // NETWORK_ERROR
	241: true, // MEMORY_LIMIT_EXCEEDED
	242: true, // TABLE_IS_READ_ONLY
	252: true, // TOO_MANY_PARTS
	319: true, // UNKNOWN_STATUS_OF_INSERT
	425: true, // SYSTEM_ERROR
}

// Transient reports whether err from an insert is worth retrying: the
// server could not be reached or the connection broke (network errors,
// closed connections, timeouts), or the server answered with an exception
// that goes away by itself. Any other server exception (bad credentials, a
// missing database or table, a column of another type) is permanent.
func Transient(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, context.Canceled) {
		return false
	}
	var ex *ch.Exception
	if errors.As(err, &ex) {
		return transientCodes[ex.Code]
	}
	// The connection's trouble: refused, reset, EOF, i/o timeouts, a pool
	// that could not dial or hand out a connection in time.
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, ch.ErrAcquireConnTimeout) || errors.Is(err, driver.ErrBadConn)
}

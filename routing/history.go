package routing

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"time"

	"gorm.io/gorm"

	"pbx/money"
)

// Directions of a call record.
const (
	DirectionInbound  = "inbound"  // from a trunk to one of our numbers
	DirectionOutbound = "outbound" // from a user out through a trunk
	DirectionInternal = "internal" // from one user to another
)

// Types of a call record, as the call history shows them.
const (
	CallIncoming = "incoming" // an inbound or internal call that was answered
	CallOutgoing = "outgoing" // a call a user placed
	CallMissed   = "missed"   // an inbound or internal call nobody answered
)

// CallRecord is one call in the call history. It is written when the call
// starts (InProgress), brought up to date when the call is answered or its
// recording begins, and completed when the call ends; a record a crash left
// in progress is closed at the next start (see Engine.CloseInterrupted).
// Times are stored in UTC.
type CallRecord struct {
	ID        uint   `gorm:"primaryKey" json:"id"`
	CallID    string `gorm:"size:255;not null;index" json:"call_id"` // the SIP Call-ID, or our id for the call
	Direction string `gorm:"size:16;not null" json:"direction"`
	Type      string `gorm:"size:16;not null;index" json:"type"`
	// From and To are the caller and the party called as SIP gave them (a
	// number, an extension or a user name). FROM and TO are SQL keywords,
	// hence the column names.
	From string `gorm:"column:caller;size:255;not null" json:"from"`
	To   string `gorm:"column:callee;size:255;not null" json:"to"`
	// Number is the E.164 number called, for inbound calls.
	Number string `gorm:"size:16;not null;default:''" json:"number"`
	// OwnerUserID is the user who answered an incoming call, placed an
	// outgoing one, or (for a call missed by one user) whose phone rang.
	OwnerUserID *uint      `gorm:"index" json:"owner_user_id"`
	TrunkID     *uint      `json:"trunk_id"`
	FlowID      *uint      `json:"flow_id"`
	StartedAt   time.Time  `gorm:"not null;index" json:"started_at"`
	AnsweredAt  *time.Time `json:"answered_at"`
	EndedAt     time.Time  `gorm:"not null" json:"ended_at"`
	// DurationSeconds runs from answer to end; 0 for a call not answered.
	DurationSeconds int `gorm:"not null" json:"duration_seconds"`
	// HangupCause says in a few words why the call ended: "completed",
	// "caller hung up", "no answer", "busy", "no flow" ...
	HangupCause string `gorm:"size:64;not null" json:"hangup_cause"`
	// SIPCode is the final status the caller got: 200 when answered, 487
	// when the caller hung up first, otherwise the rejection's code.
	SIPCode          int `gorm:"column:sip_code;not null" json:"sip_code"`
	RecordingSeconds int `gorm:"not null;default:0" json:"recording_seconds"`
	// CreditsCharged is what the call cost (a decimal string of credits in
	// JSON), at Rate ("0.02/min 60/60 +0.01", empty for a free call).
	CreditsCharged money.Credits `gorm:"not null;default:0" json:"credits_charged"`
	Rate           string        `gorm:"size:64;not null;default:''" json:"rate"`
	// Recording is the call's recording (or the voicemail the caller left),
	// a path relative to the recordings directory; empty when none. The API
	// streams it at /api/v1/calls/{id}/recording.
	Recording    string `gorm:"size:512;not null;default:''" json:"-"`
	HasRecording bool   `gorm:"-" json:"has_recording"`
	// Voicemail marks a call where the caller left a message.
	Voicemail bool `gorm:"not null;default:false" json:"voicemail"`
	// InProgress marks a call that has not ended (or had not when the
	// server stopped). The history lists only calls that ended.
	InProgress bool `gorm:"not null;default:false;index" json:"-"`
	// AliveAt is the last time the server running the call was known to be
	// up: the record is touched while the call goes on, so a call cut short
	// by a crash ends, in the history, when the server was last alive.
	AliveAt time.Time `gorm:"not null" json:"-"`
	// Node is the cluster node that ran the call ("" for a server alone).
	Node string `gorm:"size:64;not null;default:'';index" json:"node,omitempty"`
}

// AfterFind fills in what the API derives from the stored columns.
func (r *CallRecord) AfterFind(*gorm.DB) error {
	r.HasRecording = r.Recording != ""
	return nil
}

// History stores and lists call records.
type History struct {
	db   *gorm.DB
	node string // the cluster node whose calls this History writes
}

// NewHistory returns a History over db, which holds CallRecord's table.
func NewHistory(db *gorm.DB, opts ...HistoryOption) *History {
	h := &History{db: db}
	for _, o := range opts {
		o(h)
	}
	return h
}

// Begin stores rec as a call in progress and sets rec.ID, so that a crash
// leaves the call in the history (closed at the next start).
func (h *History) Begin(ctx context.Context, rec *CallRecord) error {
	if err := checkRecord(rec); err != nil {
		return err
	}
	rec.ID = 0
	rec.InProgress = true
	rec.Node = h.node
	rec.StartedAt = rec.StartedAt.UTC()
	rec.EndedAt = rec.StartedAt
	rec.AliveAt = rec.StartedAt
	if err := h.db.WithContext(ctx).Create(rec).Error; err != nil {
		rec.ID = 0
		return fmt.Errorf("begin call record %s: %w", rec.CallID, err)
	}
	return nil
}

// Update brings the record of a call in progress up to date (answered, an
// owner, a recording started). A record that Begin could not store is
// left to Record.
func (h *History) Update(ctx context.Context, rec CallRecord) error {
	if rec.ID == 0 {
		return nil
	}
	rec.InProgress = true
	normalise(&rec)
	if err := h.db.WithContext(ctx).Save(&rec).Error; err != nil {
		return fmt.Errorf("update call record %s: %w", rec.CallID, err)
	}
	return nil
}

// Record stores rec as a call that ended: it completes the record Begin
// stored (rec.ID set) or stores a new one. DurationSeconds is computed
// from AnsweredAt and EndedAt, rounded to the nearest second.
func (h *History) Record(ctx context.Context, rec CallRecord) error {
	if err := checkRecord(&rec); err != nil {
		return err
	}
	rec.InProgress = false
	normalise(&rec)
	rec.AliveAt = rec.EndedAt
	if rec.ID == 0 {
		rec.Node = h.node
	}
	db := h.db.WithContext(ctx)
	var err error
	if rec.ID != 0 {
		err = db.Save(&rec).Error
	} else {
		err = db.Create(&rec).Error
	}
	if err != nil {
		return fmt.Errorf("record call %s: %w", rec.CallID, err)
	}
	return nil
}

func checkRecord(rec *CallRecord) error {
	switch {
	case rec.CallID == "":
		return errors.New("record call: no call id")
	case rec.Direction != DirectionInbound && rec.Direction != DirectionOutbound && rec.Direction != DirectionInternal:
		return fmt.Errorf("record call %s: unknown direction %q", rec.CallID, rec.Direction)
	case !IsCallType(rec.Type):
		return fmt.Errorf("record call %s: unknown type %q", rec.CallID, rec.Type)
	}
	return nil
}

// normalise stores times in UTC and derives the duration.
func normalise(rec *CallRecord) {
	rec.StartedAt = rec.StartedAt.UTC()
	rec.EndedAt = rec.EndedAt.UTC()
	rec.AliveAt = rec.AliveAt.UTC()
	if rec.EndedAt.Before(rec.StartedAt) {
		rec.EndedAt = rec.StartedAt
	}
	if rec.AliveAt.Before(rec.StartedAt) {
		rec.AliveAt = rec.StartedAt
	}
	rec.DurationSeconds = 0
	if rec.AnsweredAt != nil {
		at := rec.AnsweredAt.UTC()
		rec.AnsweredAt = &at
		if d := rec.EndedAt.Sub(at); d > 0 {
			rec.DurationSeconds = int(d.Round(time.Second) / time.Second)
		}
	}
}

// KeepAlive marks every call in progress as alive at now, in one statement
// whatever the number of calls.
func (h *History) KeepAlive(ctx context.Context, now time.Time) error {
	err := h.db.WithContext(ctx).Model(&CallRecord{}).Where("in_progress = ? AND node = ?", true, h.node).
		Update("alive_at", now.UTC()).Error
	if err != nil {
		return fmt.Errorf("keep calls alive: %w", err)
	}
	return nil
}

// InProgress returns the records of this node's calls that have not ended.
func (h *History) InProgress(ctx context.Context) ([]CallRecord, error) {
	var recs []CallRecord
	if err := h.db.WithContext(ctx).Where("in_progress = ? AND node = ?", true, h.node).Order("id").Find(&recs).Error; err != nil {
		return nil, fmt.Errorf("calls in progress: %w", err)
	}
	return recs, nil
}

// IsCallType reports whether t is incoming, outgoing or missed.
func IsCallType(t string) bool {
	return t == CallIncoming || t == CallOutgoing || t == CallMissed
}

// CallFilter narrows List and WriteCSV. Zero fields do not filter.
type CallFilter struct {
	Owner uint      // the owner's user id
	Type  string    // incoming, outgoing or missed
	From  time.Time // calls started at or after From
	To    time.Time // calls started before To
	// Limit and Offset page List; WriteCSV ignores them. Limit 0 means
	// DefaultCallLimit; more than MaxCallLimit is cut to it.
	Limit  int
	Offset int
}

// Paging bounds of List.
const (
	DefaultCallLimit = 50
	MaxCallLimit     = 500
)

func (h *History) query(ctx context.Context, f CallFilter) (*gorm.DB, error) {
	if f.Type != "" && !IsCallType(f.Type) {
		return nil, fmt.Errorf("list calls: unknown type %q", f.Type)
	}
	q := h.db.WithContext(ctx).Model(&CallRecord{}).Where("in_progress = ?", false)
	if f.Owner != 0 {
		q = q.Where("owner_user_id = ?", f.Owner)
	}
	if f.Type != "" {
		q = q.Where("type = ?", f.Type)
	}
	// UTC on both sides: SQLite compares the stored times as text.
	if !f.From.IsZero() {
		q = q.Where("started_at >= ?", f.From.UTC())
	}
	if !f.To.IsZero() {
		q = q.Where("started_at < ?", f.To.UTC())
	}
	return q, nil
}

// List returns the records f selects, newest first, and how many there are
// in all.
func (h *History) List(ctx context.Context, f CallFilter) ([]CallRecord, int64, error) {
	q, err := h.query(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count calls: %w", err)
	}
	limit := f.Limit
	switch {
	case limit <= 0:
		limit = DefaultCallLimit
	case limit > MaxCallLimit:
		limit = MaxCallLimit
	}
	records := []CallRecord{}
	err = q.Order("started_at DESC, id DESC").Limit(limit).Offset(max(f.Offset, 0)).Find(&records).Error
	if err != nil {
		return nil, 0, fmt.Errorf("list calls: %w", err)
	}
	return records, total, nil
}

// Call returns the record with id, or ErrNotFound.
func (h *History) Call(ctx context.Context, id uint) (CallRecord, error) {
	var rec CallRecord
	err := h.db.WithContext(ctx).First(&rec, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return rec, fmt.Errorf("call %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return rec, fmt.Errorf("call %d: %w", id, err)
	}
	return rec, nil
}

// csvBatch is how many records WriteCSV reads at a time; the database is
// not held between batches, so a large export does not stall calls.
const csvBatch = 500

// CallCSVHeader is the header row of WriteCSV.
var CallCSVHeader = []string{
	"id", "call_id", "direction", "type", "from", "to", "number", "owner_user_id", "trunk_id", "flow_id",
	"started_at", "answered_at", "ended_at", "duration_seconds", "recording_seconds", "credits_charged",
	"hangup_cause", "sip_code",
}

// WriteCSV writes every record f selects, newest first, as CSV (RFC 4180)
// with a header row. Cells that a spreadsheet would run as a formula are
// defused (see csvCell).
func (h *History) WriteCSV(ctx context.Context, w io.Writer, f CallFilter) error {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(CallCSVHeader); err != nil {
		return err
	}
	var last *CallRecord
	for {
		q, err := h.query(ctx, f)
		if err != nil {
			return err
		}
		if last != nil {
			// Keyset paging: rows after the last one in (started_at, id) DESC order.
			q = q.Where("started_at < ? OR (started_at = ? AND id < ?)", last.StartedAt, last.StartedAt, last.ID)
		}
		var batch []CallRecord
		if err := q.Order("started_at DESC, id DESC").Limit(csvBatch).Find(&batch).Error; err != nil {
			return fmt.Errorf("export calls: %w", err)
		}
		for _, r := range batch {
			if err := cw.Write(csvRow(r)); err != nil {
				return err
			}
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return err
		}
		if len(batch) < csvBatch {
			return nil
		}
		last = &batch[len(batch)-1]
	}
}

func csvRow(r CallRecord) []string {
	id := func(p *uint) string {
		if p == nil {
			return ""
		}
		return strconv.FormatUint(uint64(*p), 10)
	}
	answered := ""
	if r.AnsweredAt != nil {
		answered = r.AnsweredAt.UTC().Format(time.RFC3339)
	}
	return []string{
		strconv.FormatUint(uint64(r.ID), 10), csvCell(r.CallID), r.Direction, r.Type,
		csvCell(r.From), csvCell(r.To), csvCell(r.Number), id(r.OwnerUserID), id(r.TrunkID), id(r.FlowID),
		r.StartedAt.UTC().Format(time.RFC3339), answered, r.EndedAt.UTC().Format(time.RFC3339),
		strconv.Itoa(r.DurationSeconds), strconv.Itoa(r.RecordingSeconds), r.CreditsCharged.String(),
		csvCell(r.HangupCause), strconv.Itoa(r.SIPCode),
	}
}

// phoneNumberRe matches a number such as +15550001111, which a spreadsheet
// cannot run as a formula and which must stay readable.
var phoneNumberRe = regexp.MustCompile(`^\+[0-9]{1,20}$`)

// csvCell defuses CSV formula injection: a caller controls the From of an
// inbound call, and a cell starting with = + - @ (or a tab or carriage
// return) would run as a formula when the export is opened in a
// spreadsheet. Such a cell is prefixed with a single quote; plain phone
// numbers are left alone.
func csvCell(s string) string {
	if s == "" || phoneNumberRe.MatchString(s) {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

// RecordedSeconds returns the seconds of recordings (and voicemail) kept:
// what counts against the storage quota.
func (h *History) RecordedSeconds(ctx context.Context) (int64, error) {
	var sum int64
	err := h.db.WithContext(ctx).Model(&CallRecord{}).Where("recording <> ''").
		Select("COALESCE(SUM(recording_seconds), 0)").Scan(&sum).Error
	if err != nil {
		return 0, fmt.Errorf("recorded seconds: %w", err)
	}
	return sum, nil
}

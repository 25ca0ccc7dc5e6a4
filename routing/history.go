package routing

import (
	"cmp"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"

	"pbx/groupcommit"
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
	// SIPCode is the final status the caller got: recordedAnswered when
	// answered, recordedAbandoned when the caller hung up first, otherwise
	// the status the refusal was answered (Call.FinalCode).
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

// The sip_code column is part of the history's contract (API, CSV): it
// shows the final status of the caller's INVITE. Routing decides refusals,
// whose status the Call reports; these two are what the column has always
// shown for calls that were not refused. They are stored facts, never sent:
// sip alone answers callers.
const (
	recordedAnswered  = 200 // 200 OK: answered by a user or by the PBX itself
	recordedAbandoned = 487 // Request Terminated: the caller left before any answer
)

// AfterFind fills in what the API derives from the stored columns.
func (r *CallRecord) AfterFind(*gorm.DB) error {
	r.HasRecording = r.Recording != ""
	return nil
}

// History stores and lists call records. Records written at the same
// moment by many calls are written together (group commit): one
// transaction for a batch, each call still told how its own write went.
//
// Only the start of a call is written before the call goes on: what
// changes after (answered, recording, ended) is written behind, within
// writeBehind, the latest state of each record in one statement for all
// of them; a crash loses no call, and at most that much of what became of
// it. Every read of the history first writes what is behind.
type History struct {
	db     *gorm.DB
	log    *slog.Logger
	writes *groupcommit.Committer[*recordWrite]
	node   string // the cluster node whose calls this History writes

	mu        sync.Mutex
	behind    map[uint]CallRecord // the latest state of each record not yet written
	scheduled bool                // a flush of behind is on its way
	flushing  sync.Mutex          // one flush at a time: an older state never lands after a newer one
}

// writeBehind is how long a record's change may wait to be written with
// the others; retryBehind, how long after a failed write it is tried again.
const (
	writeBehind = 100 * time.Millisecond
	retryBehind = time.Second
)

// recordWrite is one record to store: created (its ID set once written) or
// saved over the stored one.
type recordWrite struct {
	rec    *CallRecord
	create bool
	err    error
}

// maxRecordBatch bounds a batch: a transaction long enough to hold back
// the API's readers is worse than two.
const maxRecordBatch = 256

// NewHistory returns a History over db, which holds CallRecord's table;
// log hears of records that could not be written behind (nil: nobody).
func NewHistory(db *gorm.DB, log *slog.Logger, opts ...HistoryOption) *History {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &History{db: db, log: log, behind: make(map[uint]CallRecord)}
	h.writes = groupcommit.New(maxRecordBatch, h.writeBatch)
	for _, o := range opts {
		o(h)
	}
	return h
}

// later keeps rec to be written behind, replacing an older state of it.
func (h *History) later(rec CallRecord) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.behind[rec.ID] = rec
	h.schedule(writeBehind)
}

// schedule starts a flush in d unless one is on its way; h.mu is held.
func (h *History) schedule(d time.Duration) {
	if h.scheduled {
		return
	}
	h.scheduled = true
	time.AfterFunc(d, func() {
		if err := h.Flush(context.Background()); err != nil {
			h.log.Error("write call records", "error", err)
		}
	})
}

// Flush writes every change still behind, now. The server calls it before
// it stops; reads of the history call it first.
func (h *History) Flush(ctx context.Context) error {
	h.flushing.Lock()
	defer h.flushing.Unlock()
	h.mu.Lock()
	pending := h.behind
	h.behind = make(map[uint]CallRecord)
	h.scheduled = false
	h.mu.Unlock()
	if len(pending) == 0 {
		return nil
	}
	batch := make([]*recordWrite, 0, len(pending))
	for _, rec := range pending {
		batch = append(batch, &recordWrite{rec: &rec})
	}
	slices.SortFunc(batch, func(a, b *recordWrite) int { return cmp.Compare(a.rec.ID, b.rec.ID) })
	var failed error
	for chunk := range slices.Chunk(batch, maxRecordBatch) {
		h.writeBatch(ctx, chunk)
		for _, w := range chunk {
			if w.err == nil {
				continue
			}
			failed = fmt.Errorf("record call %s: %w", w.rec.CallID, w.err)
			h.mu.Lock()
			if _, newer := h.behind[w.rec.ID]; !newer {
				h.behind[w.rec.ID] = *w.rec
			}
			h.schedule(retryBehind)
			h.mu.Unlock()
		}
	}
	return failed
}

// catchUp writes what is behind before a read, so that the history read
// is the history as calls left it; a failure is logged, not the read's.
func (h *History) catchUp(ctx context.Context) {
	if err := h.Flush(ctx); err != nil {
		h.log.Error("write call records", "error", err)
	}
}

// write stores rec with the records other calls are storing now.
func (h *History) write(ctx context.Context, rec *CallRecord, create bool) error {
	w := &recordWrite{rec: rec, create: create}
	h.writes.Do(ctx, w)
	return w.err
}

// recordColumns are a call record's stored columns after its id, in the
// order insertRecords binds them (a test keeps them equal to the model's).
const recordColumns = "call_id, direction, type, caller, callee, number, owner_user_id, trunk_id, flow_id, started_at, " +
	"answered_at, ended_at, duration_seconds, hangup_cause, sip_code, recording_seconds, credits_charged, rate, " +
	"recording, voicemail, in_progress, alive_at, node"

// recordsPerStatement bounds the rows of one statement.
const recordsPerStatement = 32

// saveRecordsSQL is what follows the rows of saveRecords' INSERT: each
// column but the id replaced by the row's.
var saveRecordsSQL = func() string {
	cols := strings.Split(recordColumns, ", ")
	for i, c := range cols {
		cols[i] = c + " = excluded." + c
	}
	return " ON CONFLICT (id) DO UPDATE SET " + strings.Join(cols, ", ")
}()

// insertRecords stores new records, giving each its id. Every call's start
// waits for it, so it is a plain statement rather than gorm's reflection
// (most of a record's cost). The ids a statement returns are matched to
// its rows by order of value: ids are handed out in the order the rows are
// inserted, while the order RETURNING gives them in is not promised.
func insertRecords(ctx context.Context, tx *gorm.DB, recs []CallRecord) error {
	return writeRecords(ctx, tx, recs, false)
}

// saveRecords replaces stored records (by id) with recs.
func saveRecords(ctx context.Context, tx *gorm.DB, recs []CallRecord) error {
	return writeRecords(ctx, tx, recs, true)
}

func writeRecords(ctx context.Context, tx *gorm.DB, recs []CallRecord, save bool) error {
	conn, numbered := tx.Statement.ConnPool, tx.Dialector.Name() == "postgres"
	cols, n := recordColumns, 23
	if save {
		cols, n = "id, "+recordColumns, 24
	}
	for chunk := range slices.Chunk(recs, recordsPerStatement) {
		var q strings.Builder
		q.WriteString("INSERT INTO call_records (" + cols + ") VALUES ")
		args := make([]any, 0, n*len(chunk))
		for i := range chunk {
			r := &chunk[i]
			if i > 0 {
				q.WriteByte(',')
			}
			q.WriteString("(" + placeholderList(numbered, len(args)+1, n) + ")")
			if save {
				args = append(args, int64(r.ID))
			}
			args = append(args, r.CallID, r.Direction, r.Type, r.From, r.To, r.Number, r.OwnerUserID, r.TrunkID, r.FlowID,
				r.StartedAt, r.AnsweredAt, r.EndedAt, r.DurationSeconds, r.HangupCause, r.SIPCode, r.RecordingSeconds,
				int64(r.CreditsCharged), r.Rate, r.Recording, r.Voicemail, r.InProgress, r.AliveAt, r.Node)
		}
		if save {
			q.WriteString(saveRecordsSQL)
			if _, err := conn.ExecContext(ctx, q.String(), args...); err != nil {
				return err
			}
			continue
		}
		q.WriteString(" RETURNING id")
		rows, err := conn.QueryContext(ctx, q.String(), args...)
		if err != nil {
			return err
		}
		ids := make([]int64, 0, len(chunk))
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if len(ids) != len(chunk) {
			return fmt.Errorf("inserted %d call records, %d ids returned", len(chunk), len(ids))
		}
		slices.Sort(ids)
		for i := range chunk {
			chunk[i].ID = uint(ids[i])
		}
	}
	return nil
}

// placeholderList returns n placeholders: PostgreSQL's numbered from
// first ("$1, $2"), or SQLite's "?, ?" (SQLite reads $1 too, but looks each
// name up in a list: binding then grows with the square of the arguments).
func placeholderList(numbered bool, first, n int) string {
	b := make([]byte, 0, 6*n)
	for i := range n {
		if i > 0 {
			b = append(b, ", "...)
		}
		if !numbered {
			b = append(b, '?')
			continue
		}
		b = append(b, '$')
		b = strconv.AppendInt(b, int64(first+i), 10)
	}
	return string(b)
}

// writeBatch writes batch in one transaction; if that fails, each record
// on its own, so that one bad record fails only its own call's write.
func (h *History) writeBatch(ctx context.Context, batch []*recordWrite) {
	err := h.commit(ctx, batch)
	if err == nil || len(batch) == 1 {
		for _, w := range batch {
			w.err = err
		}
		return
	}
	for _, w := range batch {
		w.err = h.commit(ctx, []*recordWrite{w})
	}
}

// commit inserts the new records of batch in one statement and saves the
// others in another (an insert that replaces the stored row).
func (h *History) commit(ctx context.Context, batch []*recordWrite) error {
	var fresh, saved []CallRecord
	for _, w := range batch {
		if w.create {
			fresh = append(fresh, *w.rec)
		} else {
			saved = append(saved, *w.rec)
		}
	}
	err := h.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if len(fresh) > 0 {
			if err := insertRecords(ctx, tx, fresh); err != nil {
				return err
			}
		}
		if len(saved) > 0 {
			return saveRecords(ctx, tx, saved)
		}
		return nil
	})
	if err != nil {
		return err
	}
	i := 0
	for _, w := range batch {
		if w.create {
			w.rec.ID = fresh[i].ID
			i++
		}
	}
	return nil
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
	if err := h.write(ctx, rec, true); err != nil {
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
	h.later(rec)
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
	if rec.ID != 0 {
		h.later(rec)
		return nil
	}
	if err := h.write(ctx, &rec, true); err != nil {
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
//
// It holds back the writing behind while it runs, and brings the records
// waiting there up to now too: a state read before it and written after
// must not take a call's alive time back.
func (h *History) KeepAlive(ctx context.Context, now time.Time) error {
	h.flushing.Lock()
	defer h.flushing.Unlock()
	h.mu.Lock()
	for id, rec := range h.behind {
		if rec.InProgress && rec.AliveAt.Before(now) {
			rec.AliveAt = now.UTC()
			h.behind[id] = rec
		}
	}
	h.mu.Unlock()
	err := h.db.WithContext(ctx).Model(&CallRecord{}).Where("in_progress = ? AND node = ?", true, h.node).
		Update("alive_at", now.UTC()).Error
	if err != nil {
		return fmt.Errorf("keep calls alive: %w", err)
	}
	return nil
}

// InProgress returns the records of this node's calls that have not ended.
func (h *History) InProgress(ctx context.Context) ([]CallRecord, error) {
	h.catchUp(ctx)
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
	// Voicemail, when set, keeps only the calls where the caller left a
	// voicemail message (true) or only the others (false).
	Voicemail *bool
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
	h.catchUp(ctx)
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
	if f.Voicemail != nil {
		q = q.Where("voicemail = ?", *f.Voicemail)
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
	h.catchUp(ctx)
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
	h.catchUp(ctx)
	var sum int64
	err := h.db.WithContext(ctx).Model(&CallRecord{}).Where("recording <> ''").
		Select("COALESCE(SUM(recording_seconds), 0)").Scan(&sum).Error
	if err != nil {
		return 0, fmt.Errorf("recorded seconds: %w", err)
	}
	return sum, nil
}

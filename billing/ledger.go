package billing

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"

	"pbx/groupcommit"
	"pbx/money"
)

// Migrations are billing's tables, as goose SQL files per dialect
// (migrations/sqlite, migrations/postgres).
//
//go:embed migrations
var migrations embed.FS

// Migrations returns billing's versioned migrations, a folder per dialect.
func Migrations() fs.FS {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		panic(err) // the folder is embedded
	}
	return sub
}

// Kinds of ledger entries.
const (
	KindPurchase   = "purchase"   // credits bought
	KindCall       = "call"       // a call's connection fee or one of its increments
	KindNumber     = "number"     // a number's month
	KindStorage    = "storage"    // the recording storage plan's month
	KindAdjustment = "adjustment" // an administrator's correction
)

// Categories of usage, for analytics.
const (
	CategoryInbound  = "inbound"
	CategoryOutbound = "outbound"
	CategoryNumbers  = "numbers"
	CategoryStorage  = "storage"
)

// Errors of the ledger.
var (
	// ErrInsufficientCredit: the balance cannot pay the charge.
	ErrInsufficientCredit = errors.New("insufficient credit")
	// ErrNoKey: an entry must carry its idempotency key.
	ErrNoKey = errors.New("ledger entry without an idempotency key")
)

// Entry is one change of the balance. Entries are only ever added: a
// mistake is corrected by an adjustment. Key makes posting idempotent:
// posting an entry whose key is in the ledger returns the one there and
// changes nothing (a call's increment, a month's charge or a purchase is
// charged once however often it is retried, across restarts).
type Entry struct {
	ID        int64         `gorm:"primaryKey" json:"id"`
	Key       string        `json:"-"`
	Kind      string        `json:"kind"`
	Category  string        `json:"category,omitempty"`
	Amount    money.Credits `json:"amount"`  // positive adds credits, negative takes them
	Balance   money.Credits `json:"balance"` // the balance after this entry
	Ref       string        `json:"ref,omitempty"`
	Note      string        `json:"note,omitempty"`
	Actor     string        `json:"actor,omitempty"`
	CreatedAt time.Time     `json:"created_at"`
}

// TableName is the ledger's table.
func (Entry) TableName() string { return "billing_entries" }

type wallet struct {
	ID        int
	Balance   money.Credits
	UpdatedAt time.Time
}

func (wallet) TableName() string { return "billing_wallet" }

// Ledger keeps the entries and the balance they add up to.
type Ledger struct {
	db  *gorm.DB
	now func() time.Time
	// crossed hears of each entry that takes the balance from at least
	// min to below it (auto-recharge); nil hears nothing.
	crossed func(e Entry)
	minimum func() money.Credits
	metrics *Metrics // nil: not counted

	// Group commit: posts that arrive while a batch is being written wait
	// and go together in the next transaction, written by one of them (no
	// goroutine of the ledger's own).
	posts     *groupcommit.Committer[*post]
	forUpdate string // locks the wallet's row for the batch on PostgreSQL

	// sole: this ledger is the only writer of its wallet (SoleWriter), so
	// the balance its last write left is the balance.
	sole    bool
	known   sync.Mutex
	balance money.Credits // the balance, once read or written (sole only)
	has     bool          // balance holds it
	writes  uint64        // commits so far: a read older than one is stale
}

// LedgerOption configures a Ledger.
type LedgerOption func(*Ledger)

// SoleWriter says the ledger is the only writer of its wallet (one server
// on its own database): Balance then answers from memory what the last
// entry written left, instead of reading the database for every call the
// meter admits. Never with other writers (the nodes of a cluster).
func SoleWriter() LedgerOption { return func(l *Ledger) { l.sole = true } }

// post is one Post waiting for its batch.
type post struct {
	e        Entry
	overdraw bool
	before   money.Credits
	posted   bool
	err      error
}

// maxBatch bounds the entries one transaction writes.
const maxBatch = 512

// NewLedger returns the ledger in db (billing's migrations applied).
func NewLedger(db *gorm.DB, now func() time.Time, opts ...LedgerOption) *Ledger {
	l := &Ledger{db: db, now: now}
	for _, o := range opts {
		o(l)
	}
	l.posts = groupcommit.New(maxBatch, l.writeBatch)
	if db.Dialector.Name() == "postgres" {
		l.forUpdate = " FOR UPDATE"
	}
	return l
}

// Post adds e to the ledger and returns it as stored, with its balance
// after. A charge (a negative amount) that the balance cannot pay fails
// with ErrInsufficientCredit unless overdraw; an entry whose key is
// already in the ledger is returned as it is there, and posted reports
// false.
//
// Posts made at once are written together (group commit): one
// transaction, one update of the balance, each entry still decided in
// order against the balance the ones before it left, and each still its
// own idempotent entry. A post returns once its transaction committed.
func (l *Ledger) Post(ctx context.Context, e Entry, overdraw bool) (stored Entry, posted bool, err error) {
	if e.Key == "" {
		return e, false, ErrNoKey
	}
	e.ID = 0
	if e.CreatedAt.IsZero() {
		e.CreatedAt = l.now()
	}
	e.CreatedAt = e.CreatedAt.UTC()
	p := &post{e: e, overdraw: overdraw}
	l.posts.Do(ctx, p)
	if p.err != nil {
		return p.e, false, p.err
	}
	if p.posted {
		l.metrics.posted(p.e)
		if l.crossed != nil && p.e.Amount < 0 {
			if m := l.minimum(); p.before >= m && p.e.Balance < m {
				l.crossed(p.e)
			}
		}
	}
	return p.e, p.posted, nil
}

// writeBatch writes batch in one transaction; if that fails, each post on
// its own, so that each gets its own answer.
func (l *Ledger) writeBatch(ctx context.Context, batch []*post) {
	if err := l.commit(ctx, batch); err == nil {
		return
	}
	// A batch fails whole (another node posted one of its keys at the same
	// moment, say).
	for _, p := range batch {
		if err := l.commit(ctx, []*post{p}); err != nil {
			p.err = err
		}
	}
}

// commit writes batch in one transaction, deciding each post in order.
func (l *Ledger) commit(ctx context.Context, batch []*post) error {
	keys := make([]string, len(batch))
	for i, p := range batch {
		keys[i] = p.e.Key
		p.posted, p.err = false, nil
	}
	var left money.Credits // the balance the batch leaves
	err := l.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		conn := tx.Statement.ConnPool
		bal, err := l.lockBalance(ctx, conn)
		if err != nil {
			return err
		}
		left = bal
		had, err := findEntries(ctx, tx, keys)
		if err != nil {
			return err
		}
		known := make(map[string]*Entry, len(had))
		for i := range had {
			known[had[i].Key] = &had[i]
		}
		var fresh []*post
		for _, p := range batch {
			if e, ok := known[p.e.Key]; ok {
				if e.ID != 0 {
					p.e = *e
				} else {
					p.err = errSameBatch
				}
				continue
			}
			after := bal + p.e.Amount
			if p.e.Amount < 0 && !p.overdraw && after < 0 {
				p.err = ErrInsufficientCredit
				continue
			}
			p.before, p.e.Balance, bal = bal, after, after
			p.posted = true
			known[p.e.Key] = &p.e // a second post of the key in this batch
			fresh = append(fresh, p)
		}
		if len(fresh) == 0 {
			return nil
		}
		if err := insertEntries(ctx, tx, fresh); err != nil {
			return err
		}
		left = bal
		_, err = conn.ExecContext(ctx, "UPDATE billing_wallet SET balance = "+placeholders(tx, 1, 1)+", updated_at = "+placeholders(tx, 2, 1)+" WHERE id = 1",
			int64(bal), l.now().UTC())
		return err
	})
	if t, ok := l.db.Dialector.(gorm.ErrorTranslator); ok && err != nil {
		err = t.Translate(err) // a key another writer posted first: gorm.ErrDuplicatedKey
	}
	if err == nil {
		l.wrote(left)
	}
	if err != nil {
		for _, p := range batch {
			p.posted = false
		}
		if errors.Is(err, gorm.ErrDuplicatedKey) && len(batch) == 1 {
			// Another writer posted the key first: answer with its entry.
			var e Entry
			if err := l.db.WithContext(ctx).Where("key = ?", batch[0].e.Key).Take(&e).Error; err == nil {
				batch[0].e = e
				return nil
			}
		}
		return fmt.Errorf("ledger: %w", err)
	}
	// A key posted twice in one batch: the second gets the first's entry.
	for _, p := range batch {
		if errors.Is(p.err, errSameBatch) {
			for _, q := range batch {
				if q.posted && q.e.Key == p.e.Key {
					p.e, p.err = q.e, nil
				}
			}
		}
	}
	for _, p := range batch {
		if p.err != nil && !errors.Is(p.err, ErrInsufficientCredit) {
			return p.err
		}
	}
	return nil
}

// errSameBatch marks a post whose key an earlier post of its batch has.
var errSameBatch = errors.New("posted earlier in the same batch")

// Balance returns the balance.
func (l *Ledger) Balance(ctx context.Context) (money.Credits, error) {
	l.known.Lock()
	b, has, writes := l.balance, l.has, l.writes
	l.known.Unlock()
	if has {
		return b, nil
	}
	var w wallet
	if err := l.db.WithContext(ctx).Take(&w, 1).Error; err != nil {
		return 0, fmt.Errorf("balance: %w", err)
	}
	if l.sole {
		l.known.Lock()
		if l.writes == writes { // no commit since the read began
			l.balance, l.has = w.Balance, true
		}
		l.known.Unlock()
	}
	return w.Balance, nil
}

// lockBalance returns the balance in tx, having locked the wallet's row
// where the database can (PostgreSQL). A sole writer knows it already:
// batches are written one at a time, each from where the last one left it.
func (l *Ledger) lockBalance(ctx context.Context, conn gorm.ConnPool) (money.Credits, error) {
	l.known.Lock()
	b, has := l.balance, l.has
	l.known.Unlock()
	if l.sole && has {
		return b, nil
	}
	var balance int64
	err := conn.QueryRowContext(ctx, "SELECT balance FROM billing_wallet WHERE id = 1"+l.forUpdate).Scan(&balance)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, errors.New("no wallet row: billing's migrations were not applied")
	}
	return money.Credits(balance), err
}

// The ledger's writes run at every call's start, so they are written as
// plain statements rather than through gorm's reflection (a third of a
// post's CPU and most of its allocations).

// entryColumns are an entry's columns after its id, in the order the
// statements below bind and scan them.
const entryColumns = "key, kind, category, amount, balance, ref, note, actor, created_at"

// findEntries returns the stored entries with those keys.
func findEntries(ctx context.Context, tx *gorm.DB, keys []string) ([]Entry, error) {
	args := make([]any, len(keys))
	for i, k := range keys {
		args[i] = k
	}
	rows, err := tx.Statement.ConnPool.QueryContext(ctx, "SELECT id, "+entryColumns+" FROM billing_entries WHERE key IN ("+placeholders(tx, 1, len(keys))+")", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var had []Entry
	for rows.Next() {
		var e Entry
		if err := rows.Scan(&e.ID, &e.Key, &e.Kind, &e.Category, &e.Amount, &e.Balance, &e.Ref, &e.Note, &e.Actor, &e.CreatedAt); err != nil {
			return nil, err
		}
		had = append(had, e)
	}
	return had, rows.Err()
}

// insertEntries stores the posts' entries, entriesPerStatement a statement,
// and gives each its id.
func insertEntries(ctx context.Context, tx *gorm.DB, posts []*post) error {
	for chunk := range slices.Chunk(posts, entriesPerStatement) {
		var q strings.Builder
		q.WriteString("INSERT INTO billing_entries (" + entryColumns + ") VALUES ")
		args := make([]any, 0, 9*len(chunk))
		for i, p := range chunk {
			if i > 0 {
				q.WriteByte(',')
			}
			q.WriteString("(" + placeholders(tx, len(args)+1, 9) + ")")
			e := &p.e
			args = append(args, e.Key, e.Kind, e.Category, int64(e.Amount), int64(e.Balance), e.Ref, e.Note, e.Actor, e.CreatedAt)
		}
		q.WriteString(" RETURNING id, key") // by key: the order of RETURNING rows is not promised
		rows, err := tx.Statement.ConnPool.QueryContext(ctx, q.String(), args...)
		if err != nil {
			return err
		}
		ids := make(map[string]int64, len(chunk))
		for rows.Next() {
			var id int64
			var key string
			if err := rows.Scan(&id, &key); err != nil {
				rows.Close()
				return err
			}
			ids[key] = id
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if err := rows.Err(); err != nil {
			return err
		}
		for _, p := range chunk {
			if p.e.ID = ids[p.e.Key]; p.e.ID == 0 {
				return fmt.Errorf("ledger: no id returned for %s", p.e.Key)
			}
		}
	}
	return nil
}

// entriesPerStatement bounds the rows of one INSERT (9 arguments each).
const entriesPerStatement = 64

// placeholders returns n placeholders for tx's database: PostgreSQL's
// numbered from first ("$1, $2"), or SQLite's "?, ?" (SQLite reads $1 too,
// but looks each name up in a list: binding grows with the square of the
// arguments).
func placeholders(tx *gorm.DB, first, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		if tx.Dialector.Name() != "postgres" {
			b.WriteByte('?')
			continue
		}
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(first + i))
	}
	return b.String()
}

// wrote notes a committed write that left the balance at bal.
func (l *Ledger) wrote(bal money.Credits) {
	l.known.Lock()
	defer l.known.Unlock()
	l.writes++
	if l.sole {
		l.balance, l.has = bal, true
	}
}

// Audit is what Check found.
type Audit struct {
	Balance money.Credits `json:"balance"`    // the cached balance
	Sum     money.Credits `json:"sum"`        // the sum of every entry
	Entries int64         `json:"entries"`    // how many there are
	OK      bool          `json:"consistent"` // Balance == Sum, and the last entry's balance is it
}

// Check re-derives the balance from the entries and compares it with the
// cached one.
func (l *Ledger) Check(ctx context.Context) (Audit, error) {
	var a Audit
	err := l.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var w wallet
		if err := tx.Take(&w, 1).Error; err != nil {
			return err
		}
		a.Balance = w.Balance
		var row struct {
			Sum   int64
			Count int64
		}
		if err := tx.Raw("SELECT COALESCE(SUM(amount), 0) AS sum, COUNT(*) AS count FROM billing_entries").Scan(&row).Error; err != nil {
			return err
		}
		a.Sum, a.Entries = money.Credits(row.Sum), row.Count
		a.OK = a.Sum == a.Balance
		if a.Entries > 0 {
			var last Entry
			if err := tx.Order("id DESC").Take(&last).Error; err != nil {
				return err
			}
			a.OK = a.OK && last.Balance == a.Balance
		}
		return nil
	})
	if err != nil {
		return a, fmt.Errorf("check ledger: %w", err)
	}
	return a, nil
}

// Charged returns what the entries whose keys start with prefix took, as
// a positive amount (a call's charges: their keys are call:<ref>:<n>). It
// reads a range of the unique key index.
func (l *Ledger) Charged(ctx context.Context, prefix string) (money.Credits, error) {
	if prefix == "" {
		return 0, ErrNoKey
	}
	// Every key with the prefix sorts between it and the prefix with its
	// last byte raised by one.
	end := prefix[:len(prefix)-1] + string(rune(prefix[len(prefix)-1]+1))
	var sum int64
	err := l.db.WithContext(ctx).Raw("SELECT COALESCE(SUM(amount), 0) FROM billing_entries WHERE key >= ? AND key < ? AND amount < 0",
		prefix, end).Scan(&sum).Error
	if err != nil {
		return 0, fmt.Errorf("charged %s: %w", prefix, err)
	}
	return money.Credits(-sum), nil
}

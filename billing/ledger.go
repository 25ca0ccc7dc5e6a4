package billing

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"gorm.io/gorm"

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
}

// NewLedger returns the ledger in db (billing's migrations applied).
func NewLedger(db *gorm.DB, now func() time.Time) *Ledger {
	return &Ledger{db: db, now: now}
}

// Post adds e to the ledger and returns it as stored, with its balance
// after. A charge (a negative amount) that the balance cannot pay fails
// with ErrInsufficientCredit unless overdraw; an entry whose key is
// already in the ledger is returned as it is there, and posted reports
// false.
func (l *Ledger) Post(ctx context.Context, e Entry, overdraw bool) (stored Entry, posted bool, err error) {
	if e.Key == "" {
		return e, false, ErrNoKey
	}
	e.ID = 0
	if e.CreatedAt.IsZero() {
		e.CreatedAt = l.now()
	}
	e.CreatedAt = e.CreatedAt.UTC()
	var before money.Credits
	err = l.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var had Entry
		switch err := tx.Where("key = ?", e.Key).Take(&had).Error; {
		case err == nil:
			e = had
			return nil
		case !errors.Is(err, gorm.ErrRecordNotFound):
			return err
		}
		// One statement moves the balance: concurrent posts (several nodes
		// on PostgreSQL) serialise on the wallet's row, and a charge the
		// balance cannot pay changes nothing.
		q := "UPDATE billing_wallet SET balance = balance + ?, updated_at = ? WHERE id = 1"
		args := []any{int64(e.Amount), e.CreatedAt}
		if e.Amount < 0 && !overdraw {
			q += " AND balance + ? >= 0"
			args = append(args, int64(e.Amount))
		}
		var after []int64
		if err := tx.Raw(q+" RETURNING balance", args...).Scan(&after).Error; err != nil {
			return err
		}
		if len(after) != 1 {
			return ErrInsufficientCredit
		}
		e.Balance = money.Credits(after[0])
		before = e.Balance - e.Amount
		if err := tx.Create(&e).Error; err != nil {
			return err
		}
		posted = true
		return nil
	})
	switch {
	case errors.Is(err, gorm.ErrDuplicatedKey):
		// Another writer posted the same key first: ours rolled back.
		var had Entry
		if err := l.db.WithContext(ctx).Where("key = ?", e.Key).Take(&had).Error; err != nil {
			return e, false, fmt.Errorf("ledger: %w", err)
		}
		return had, false, nil
	case errors.Is(err, ErrInsufficientCredit):
		return e, false, err
	case err != nil:
		return e, false, fmt.Errorf("ledger: %w", err)
	}
	if posted {
		l.metrics.posted(e)
	}
	if posted && l.crossed != nil && e.Amount < 0 {
		if m := l.minimum(); before >= m && e.Balance < m {
			l.crossed(e)
		}
	}
	return e, posted, nil
}

// Balance returns the balance.
func (l *Ledger) Balance(ctx context.Context) (money.Credits, error) {
	var w wallet
	if err := l.db.WithContext(ctx).Take(&w, 1).Error; err != nil {
		return 0, fmt.Errorf("balance: %w", err)
	}
	return w.Balance, nil
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

// Charged returns what the entries whose ref is ref took, as a positive
// amount (a call's charges: ref is the call's id).
func (l *Ledger) Charged(ctx context.Context, ref string) (money.Credits, error) {
	var sum int64
	err := l.db.WithContext(ctx).Raw("SELECT COALESCE(SUM(amount), 0) FROM billing_entries WHERE ref = ? AND amount < 0", ref).Scan(&sum).Error
	if err != nil {
		return 0, fmt.Errorf("charged %s: %w", ref, err)
	}
	return money.Credits(-sum), nil
}

package billing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"gorm.io/gorm"

	"pbx/invalid"
	"pbx/money"
)

// Payments is a payment provider: it takes the price of a purchase. The
// built-in one is Manual (an invoice settled outside the PBX); a card
// provider implements the same, and the ledger never changes for it.
type Payments interface {
	// Name names the provider in the purchase history.
	Name() string
	// Pay takes the price of purchase p. It returns the provider's
	// reference (an invoice number, a payment id) and whether the money is
	// taken (PurchasePaid) or will be later (PurchasePending), or an error
	// when the payment failed.
	Pay(ctx context.Context, p Purchase) (reference string, status string, err error)
}

// Statuses of a purchase.
const (
	PurchasePaid    = "paid"    // the credits are in the wallet
	PurchasePending = "pending" // waiting for the provider
	PurchaseFailed  = "failed"  // the provider refused; no credits
)

// Manual is the built-in provider: each purchase is an invoice, numbered
// INV-YYYY-NNNNNN, that the organisation settles outside the PBX; the
// credits are available at once.
type Manual struct{}

// Name is "manual".
func (Manual) Name() string { return "manual" }

// Pay issues the purchase's invoice.
func (Manual) Pay(_ context.Context, p Purchase) (string, string, error) {
	return fmt.Sprintf("INV-%d-%06d", p.CreatedAt.Year(), p.ID), PurchasePaid, nil
}

// Quote is a price offered for credits, good until ExpiresAt.
type Quote struct {
	ID        uint          `gorm:"primaryKey" json:"id"`
	Credits   money.Credits `json:"credits"`
	Price     string        `json:"price"`
	Currency  string        `json:"currency"`
	Actor     string        `json:"-"`
	ExpiresAt time.Time     `json:"expires_at"`
	CreatedAt time.Time     `json:"created_at"`
}

// TableName is the quotes' table.
func (Quote) TableName() string { return "billing_quotes" }

// Purchase is credits bought: who bought them, for what, how it was paid.
type Purchase struct {
	ID        uint          `gorm:"primaryKey" json:"id"`
	QuoteID   *uint         `json:"quote_id"`
	Credits   money.Credits `json:"credits"`
	Price     string        `json:"price"`
	Currency  string        `json:"currency"`
	Provider  string        `json:"provider"`
	Reference string        `json:"reference"`
	Status    string        `json:"status"`
	Reason    string        `json:"reason,omitempty"`
	Actor     string        `json:"bought_by"`
	Automatic bool          `json:"automatic"`
	CreatedAt time.Time     `json:"created_at"`
}

// TableName is the purchases' table.
func (Purchase) TableName() string { return "billing_purchases" }

// AutoRecharge tops the wallet up when a charge takes it below MinBalance.
type AutoRecharge struct {
	Enabled    bool          `json:"enabled"`
	MinBalance money.Credits `json:"min_balance"`
	Credits    money.Credits `json:"credits"`
}

type settings struct {
	ID               int
	AutoRecharge     bool
	MinBalance       money.Credits
	RechargeCredits  money.Credits
	StoragePlan      string
	AutoDeleteMonths int
	UpdatedAt        time.Time
}

func (settings) TableName() string { return "billing_settings" }

// Limits of purchases.
const (
	QuoteLifetime = 15 * time.Minute
	MaxPurchase   = 1_000_000 * money.Micro // credits in one purchase
)

// WalletConfig is what the wallet needs of the settings.
type WalletConfig struct {
	Currency string             // the local currency's code, "USD"
	Rate     money.ExchangeRate // local currency per credit
	// PartnerManaged: a partner manages the organisation's credits, so
	// auto-recharge is refused.
	PartnerManaged bool
	// Calendar is the organisation's, for usage periods.
	Calendar Calendar
}

// Wallet sells credits and keeps the auto-recharge settings.
type Wallet struct {
	db       *gorm.DB
	ledger   *Ledger
	payments Payments
	notes    *Notifier
	cfg      WalletConfig
	log      *slog.Logger
	now      func() time.Time

	mu       sync.Mutex
	settings settings // cached; written through
	loaded   bool
	wg       sync.WaitGroup // auto-recharges under way
}

// NewWallet returns the wallet over ledger, paying through payments, and
// wires the low balance notification and auto-recharge into the ledger.
func NewWallet(db *gorm.DB, ledger *Ledger, payments Payments, notes *Notifier, cfg WalletConfig, log *slog.Logger, now func() time.Time) *Wallet {
	w := &Wallet{db: db, ledger: ledger, payments: payments, notes: notes, cfg: cfg, log: log, now: now}
	ledger.minimum = w.minimum
	ledger.crossed = w.crossed
	return w
}

// Config returns the currency settings.
func (w *Wallet) Config() WalletConfig { return w.cfg }

// Balance returns the balance.
func (w *Wallet) Balance(ctx context.Context) (money.Credits, error) { return w.ledger.Balance(ctx) }

// Check audits the ledger.
func (w *Wallet) Check(ctx context.Context) (Audit, error) { return w.ledger.Check(ctx) }

// Quote prices credits in the local currency.
func (w *Wallet) Quote(ctx context.Context, credits money.Credits, actor string) (Quote, error) {
	if credits <= 0 || credits > MaxPurchase {
		return Quote{}, invalid.New("credits", fmt.Sprintf("must be more than 0 and at most %s", MaxPurchase))
	}
	now := w.now().UTC()
	q := Quote{Credits: credits, Price: w.cfg.Rate.Local(credits), Currency: w.cfg.Currency, Actor: actor,
		ExpiresAt: now.Add(QuoteLifetime), CreatedAt: now}
	if err := w.db.WithContext(ctx).Create(&q).Error; err != nil {
		return q, fmt.Errorf("quote: %w", err)
	}
	return q, nil
}

// Buy pays quote id through the provider and, once paid, adds its credits
// to the wallet. A quote buys once: buying it again returns the first
// purchase.
func (w *Wallet) Buy(ctx context.Context, quoteID uint, actor string) (Purchase, error) {
	var q Quote
	err := w.db.WithContext(ctx).Take(&q, quoteID).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Purchase{}, invalid.New("quote_id", "no such quote")
	}
	if err != nil {
		return Purchase{}, fmt.Errorf("buy: %w", err)
	}
	var had Purchase
	switch err := w.db.WithContext(ctx).Where("quote_id = ?", quoteID).Take(&had).Error; {
	case err == nil:
		return had, nil
	case !errors.Is(err, gorm.ErrRecordNotFound):
		return had, fmt.Errorf("buy: %w", err)
	}
	if w.now().After(q.ExpiresAt) {
		return Purchase{}, invalid.New("quote_id", "the quote has expired; ask for a new one")
	}
	p := Purchase{QuoteID: &q.ID, Credits: q.Credits, Price: q.Price, Currency: q.Currency, Actor: actor}
	return w.pay(ctx, p)
}

// pay records purchase p, pays it, and credits the wallet when paid.
func (w *Wallet) pay(ctx context.Context, p Purchase) (Purchase, error) {
	p.Provider, p.Status, p.CreatedAt = w.payments.Name(), PurchasePending, w.now().UTC()
	if err := w.db.WithContext(ctx).Create(&p).Error; err != nil {
		if errors.Is(err, gorm.ErrDuplicatedKey) && p.QuoteID != nil {
			var had Purchase
			if err := w.db.WithContext(ctx).Where("quote_id = ?", *p.QuoteID).Take(&had).Error; err == nil {
				return had, nil
			}
		}
		return p, fmt.Errorf("purchase: %w", err)
	}
	ref, status, err := w.payments.Pay(ctx, p)
	p.Reference, p.Status = ref, status
	if err != nil {
		p.Status, p.Reason = PurchaseFailed, err.Error()
	}
	if p.Status == PurchasePaid {
		_, _, err := w.ledger.Post(ctx, Entry{Key: fmt.Sprintf("purchase:%d", p.ID), Kind: KindPurchase,
			Amount: p.Credits, Ref: fmt.Sprintf("purchase:%d", p.ID), Note: p.Reference, Actor: p.Actor}, false)
		if err != nil {
			return p, fmt.Errorf("credit purchase %d: %w", p.ID, err)
		}
	}
	if err := w.db.WithContext(ctx).Model(&p).Updates(map[string]any{"reference": p.Reference, "status": p.Status, "reason": p.Reason}).Error; err != nil {
		return p, fmt.Errorf("purchase %d: %w", p.ID, err)
	}
	return p, nil
}

// Purchases returns the purchases, newest first.
func (w *Wallet) Purchases(ctx context.Context, limit int) ([]Purchase, error) {
	if limit <= 0 || limit > 500 {
		limit = 500
	}
	list := []Purchase{}
	if err := w.db.WithContext(ctx).Order("created_at DESC, id DESC").Limit(limit).Find(&list).Error; err != nil {
		return nil, fmt.Errorf("purchases: %w", err)
	}
	return list, nil
}

func (w *Wallet) load(ctx context.Context) (settings, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.loaded {
		return w.settings, nil
	}
	var s settings
	if err := w.db.WithContext(ctx).Take(&s, 1).Error; err != nil {
		return s, fmt.Errorf("billing settings: %w", err)
	}
	w.settings, w.loaded = s, true
	return s, nil
}

// update changes the settings row through change, and the cached copy.
func (w *Wallet) update(ctx context.Context, change func(*settings)) error {
	if _, err := w.load(ctx); err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.settings
	change(&s)
	s.ID, s.UpdatedAt = 1, w.now().UTC()
	if err := w.db.WithContext(ctx).Save(&s).Error; err != nil {
		return fmt.Errorf("billing settings: %w", err)
	}
	w.settings = s
	return nil
}

// AutoRecharge returns the auto-recharge settings.
func (w *Wallet) AutoRecharge(ctx context.Context) (AutoRecharge, error) {
	s, err := w.load(ctx)
	return AutoRecharge{Enabled: s.AutoRecharge, MinBalance: s.MinBalance, Credits: s.RechargeCredits}, err
}

// SetAutoRecharge changes the auto-recharge settings.
func (w *Wallet) SetAutoRecharge(ctx context.Context, a AutoRecharge) (AutoRecharge, error) {
	v := &invalid.Error{}
	if a.Enabled && w.cfg.PartnerManaged {
		v.Add("enabled", "your partner manages this organisation's credits: auto-recharge is not available")
	}
	if a.MinBalance < 0 {
		v.Add("min_balance", "must be 0 or more")
	}
	if a.Enabled && (a.Credits <= 0 || a.Credits > MaxPurchase) {
		v.Add("credits", fmt.Sprintf("must be more than 0 and at most %s", MaxPurchase))
	}
	if err := v.Err(); err != nil {
		return a, err
	}
	err := w.update(ctx, func(s *settings) {
		s.AutoRecharge, s.MinBalance, s.RechargeCredits = a.Enabled, a.MinBalance, a.Credits
	})
	if err != nil {
		return a, fmt.Errorf("auto-recharge: %w", err)
	}
	return a, nil
}

// minimum is the balance below which the administrators are told, and
// auto-recharge (when on) buys credits: none when it is 0.
func (w *Wallet) minimum() money.Credits {
	s, err := w.load(context.Background())
	if err != nil || s.MinBalance <= 0 {
		return -1 << 62
	}
	return s.MinBalance
}

// crossed runs for each charge that took the balance below the minimum:
// the administrators are told, and auto-recharge buys the configured
// credits, once for that charge, without holding up the charge. A failure
// is a notification and a failed purchase, never more.
func (w *Wallet) crossed(e Entry) {
	s, err := w.load(context.Background())
	if err != nil {
		return
	}
	auto := s.AutoRecharge && !w.cfg.PartnerManaged
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		w.notes.Notify(ctx, fmt.Sprintf("low:%d", e.ID), NoteLowBalance, "Low balance",
			fmt.Sprintf("The balance is %s credits, below the minimum of %s.", e.Balance, s.MinBalance))
		if !auto {
			return
		}
		p := Purchase{Credits: s.RechargeCredits, Price: w.cfg.Rate.Local(s.RechargeCredits), Currency: w.cfg.Currency,
			Actor: "auto-recharge", Automatic: true}
		p, err := w.pay(ctx, p)
		if err != nil || p.Status == PurchaseFailed {
			reason := p.Reason
			if err != nil {
				reason = err.Error()
			}
			w.log.Error("auto-recharge failed", "after_entry", e.ID, "reason", reason)
			w.ledger.metrics.recharged(false)
			w.notes.Notify(ctx, fmt.Sprintf("auto-failed:%d", e.ID), NoteAutoRechargeFailed, "Auto-recharge failed",
				fmt.Sprintf("Buying %s credits failed: %s.", s.RechargeCredits, reason))
			return
		}
		w.log.Info("auto-recharge", "after_entry", e.ID, "credits", p.Credits.String(), "reference", p.Reference)
		w.ledger.metrics.recharged(true)
		w.notes.Notify(ctx, fmt.Sprintf("auto-done:%d", e.ID), NoteAutoRechargeDone, "Auto-recharge",
			fmt.Sprintf("%s credits were bought (%s %s, %s).", p.Credits, p.Price, p.Currency, p.Reference))
	}()
}

// Wait waits for the auto-recharges under way (at shutdown, in tests).
func (w *Wallet) Wait() { w.wg.Wait() }

// Usage returns what was bought and used in the named period (see
// Calendar.Period), at the wallet's now.
func (w *Wallet) Usage(ctx context.Context, period, from, to string) (Usage, error) {
	cal := w.cfg.Calendar
	if cal.Location == nil {
		cal.Location = time.UTC
	}
	start, end, err := cal.Period(period, w.now(), from, to)
	if err != nil {
		return Usage{}, err
	}
	u, err := w.ledger.Usage(ctx, cal, start, end)
	u.Period, u.Currency = period, w.cfg.Currency
	u.BoughtLocal, u.UsedLocal = w.cfg.Rate.Local(u.Bought), w.cfg.Rate.Local(u.Used)
	u.ByCategoryLocal = make(map[string]string, len(u.ByCategory))
	for k, c := range u.ByCategory {
		u.ByCategoryLocal[k] = w.cfg.Rate.Local(c)
	}
	for i := range u.Daily {
		u.Daily[i].BoughtLocal, u.Daily[i].UsedLocal = w.cfg.Rate.Local(u.Daily[i].Bought), w.cfg.Rate.Local(u.Daily[i].Used)
	}
	return u, err
}

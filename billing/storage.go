package billing

import (
	"context"
	"fmt"
	"sync"
	"time"

	"gorm.io/gorm"

	"pbx/invalid"
	"pbx/money"
)

// Plan is a recording storage plan: how many minutes of recordings are
// kept, for how much a month.
type Plan struct {
	Name         string        `json:"name"`
	Minutes      int64         `json:"minutes"`
	MonthlyPrice money.Credits `json:"monthly_price"`
}

// Plans are the storage plans, the free one first.
var Plans = []Plan{
	{Name: "free", Minutes: 1_000, MonthlyPrice: 0},
	{Name: "50k", Minutes: 50_000, MonthlyPrice: 25 * money.Micro},
	{Name: "200k", Minutes: 200_000, MonthlyPrice: 50 * money.Micro},
	{Name: "1m", Minutes: 1_000_000, MonthlyPrice: 75 * money.Micro},
}

func planNamed(name string) (Plan, bool) {
	for _, p := range Plans {
		if p.Name == name {
			return p, true
		}
	}
	return Plan{}, false
}

// StorageState is the storage plan, its quota and use, and auto-delete.
type StorageState struct {
	Plan             string  `json:"plan"`
	QuotaMinutes     int64   `json:"quota_minutes"`
	UsedMinutes      float64 `json:"used_minutes"`
	AutoDeleteMonths int     `json:"auto_delete_months"` // 0 (off), 3 or 6
	Plans            []Plan  `json:"plans"`
}

// Storage sells storage plans, keeps auto-delete, and says whether a new
// recording fits the quota.
type Storage struct {
	w     *Wallet
	subs  *Subscriptions
	notes *Notifier
	// recorded returns the seconds of recordings kept now (the call
	// history knows them).
	recorded func(ctx context.Context) (int64, error)

	mu      sync.Mutex
	usedAt  time.Time
	used    int64
	cacheOK time.Duration
}

// NewStorage returns the storage plans over the wallet's settings;
// recorded reports the seconds of recordings kept.
func NewStorage(w *Wallet, subs *Subscriptions, notes *Notifier, recorded func(ctx context.Context) (int64, error)) *Storage {
	return &Storage{w: w, subs: subs, notes: notes, recorded: recorded, cacheOK: 10 * time.Second}
}

// State returns the plan, the quota, what is used and auto-delete.
func (s *Storage) State(ctx context.Context) (StorageState, error) {
	st, err := s.w.load(ctx)
	if err != nil {
		return StorageState{}, err
	}
	p, _ := planNamed(st.StoragePlan)
	used, err := s.recorded(ctx)
	if err != nil {
		return StorageState{}, err
	}
	return StorageState{Plan: p.Name, QuotaMinutes: p.Minutes, UsedMinutes: float64(used) / 60,
		AutoDeleteMonths: st.AutoDeleteMonths, Plans: Plans}, nil
}

// SetAutoDelete sets how many months recordings are kept: 0 (for ever), 3
// or 6.
func (s *Storage) SetAutoDelete(ctx context.Context, months int) (StorageState, error) {
	if months != 0 && months != 3 && months != 6 {
		return StorageState{}, invalid.New("auto_delete_months", "must be 0 (keep), 3 or 6")
	}
	if err := s.w.update(ctx, func(st *settings) { st.AutoDeleteMonths = months }); err != nil {
		return StorageState{}, err
	}
	return s.State(ctx)
}

// AutoDeleteBefore returns the recording date before which recordings are
// deleted, and whether auto-delete is on.
func (s *Storage) AutoDeleteBefore(ctx context.Context, now time.Time) (time.Time, bool, error) {
	st, err := s.w.load(ctx)
	if err != nil || st.AutoDeleteMonths == 0 {
		return time.Time{}, false, err
	}
	return now.AddDate(0, -st.AutoDeleteMonths, 0), true, nil
}

// QuotePlan offers a change to plan: its monthly price, charged now for the
// first month. Moving to the free plan costs nothing.
func (s *Storage) QuotePlan(ctx context.Context, plan string) (Offer, error) {
	p, ok := planNamed(plan)
	if !ok {
		return Offer{}, invalid.New("plan", "must be free, 50k, 200k or 1m")
	}
	st, err := s.w.load(ctx)
	if err != nil {
		return Offer{}, err
	}
	if st.StoragePlan == p.Name {
		return Offer{}, invalid.New("plan", "is the plan already")
	}
	now := s.subs.now().UTC()
	o := Offer{Kind: SubStorage, Ref: p.Name, MonthlyPrice: p.MonthlyPrice, FirstCharge: p.MonthlyPrice,
		ExpiresAt: now.Add(OfferLifetime), CreatedAt: now}
	if err := s.subs.db.WithContext(ctx).Create(&o).Error; err != nil {
		return o, fmt.Errorf("quote plan: %w", err)
	}
	return o, nil
}

// BuyPlan moves to the plan of offer id: its first month is charged
// (ErrInsufficientCredit when the balance cannot pay it), the previous
// plan's monthly charge ends, and the new quota applies at once.
func (s *Storage) BuyPlan(ctx context.Context, offerID uint, actor string) (StorageState, error) {
	o, err := s.subs.offer(ctx, offerID, SubStorage)
	if err != nil {
		return StorageState{}, err
	}
	start := o.CreatedAt.UTC().Truncate(time.Second)
	sub := Subscription{Kind: SubStorage, Ref: o.Ref, MonthlyPrice: o.MonthlyPrice, StartedAt: start}
	if o.FirstCharge > 0 {
		if _, _, err := s.subs.ledger.Post(ctx, Entry{Key: s.subs.periodKey(sub, start), Kind: KindStorage, Category: CategoryStorage,
			Amount: -o.FirstCharge, Ref: "storage:" + o.Ref, Note: "first month of the " + o.Ref + " storage plan", Actor: actor}, false); err != nil {
			return StorageState{}, err
		}
	}
	now := s.subs.now().UTC()
	err = s.subs.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Model(&Subscription{}).Where("kind = ? AND ended_at IS NULL", SubStorage).Update("ended_at", now).Error; err != nil {
			return err
		}
		if err := tx.Model(&Offer{}).Where("id = ?", o.ID).Update("used", true).Error; err != nil {
			return err
		}
		if o.MonthlyPrice > 0 {
			if err := tx.Create(&sub).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return StorageState{}, fmt.Errorf("buy plan: %w", err)
	}
	if err := s.w.update(ctx, func(st *settings) { st.StoragePlan = o.Ref }); err != nil {
		return StorageState{}, err
	}
	s.mu.Lock()
	s.usedAt = time.Time{}
	s.mu.Unlock()
	return s.State(ctx)
}

// FallBack puts the organisation on the free plan (its paid plan stayed
// unpaid past the grace period).
func (s *Storage) FallBack(ctx context.Context) error {
	return s.w.update(ctx, func(st *settings) { st.StoragePlan = "free" })
}

// MayRecord reports whether a new recording fits the quota. Past it, it
// says no and the administrators are told (once a day).
func (s *Storage) MayRecord(ctx context.Context) bool {
	st, err := s.w.load(ctx)
	if err != nil {
		return true // a database error must not lose a recording
	}
	p, _ := planNamed(st.StoragePlan)
	s.mu.Lock()
	if time.Since(s.usedAt) > s.cacheOK {
		if used, err := s.recorded(ctx); err == nil {
			s.used, s.usedAt = used, time.Now()
		}
	}
	used := s.used
	s.mu.Unlock()
	if used < p.Minutes*60 {
		return true
	}
	day := s.subs.now().In(s.subs.cal.Location).Format("2006-01-02")
	s.notes.Notify(ctx, "quota:"+day, NoteQuotaReached, "Recording storage full",
		fmt.Sprintf("%d of %d minutes are used: new recordings are not stored (calls go on). Choose a larger plan or delete recordings.",
			used/60, p.Minutes))
	return false
}

// Recorded counts a recording just kept, so the quota holds between
// refreshes.
func (s *Storage) Recorded(seconds int64) {
	s.mu.Lock()
	s.used += seconds
	s.mu.Unlock()
}

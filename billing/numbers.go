package billing

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"pbx/invalid"
	"pbx/money"
)

// Available is a number a carrier trunk offers, to be bought.
type Available struct {
	ID              uint          `gorm:"primaryKey" json:"id"`
	E164            string        `gorm:"column:e164" json:"e164"`
	TrunkID         uint          `json:"trunk_id"`
	Country         string        `json:"country"`
	Type            string        `json:"type"`
	Region          string        `json:"region"`
	MonthlyPrice    money.Credits `json:"monthly_price"`
	AddressRequired bool          `json:"address_required"`
	CreatedAt       time.Time     `json:"created_at"`
}

// TableName is the inventory's table.
func (Available) TableName() string { return "billing_inventory" }

// AvailableInput is a number offered, as the API and CSV give it.
type AvailableInput struct {
	E164            string `json:"e164"`
	TrunkID         uint   `json:"trunk_id"`
	Country         string `json:"country"`
	Type            string `json:"type"`
	Region          string `json:"region"`
	MonthlyPrice    string `json:"monthly_price"`
	AddressRequired bool   `json:"address_required"`
}

// Number types.
var numberKinds = []string{"local", "mobile", "toll_free"}

// Subscription kinds.
const (
	SubNumber  = "number"
	SubStorage = "storage"
)

// Subscription is something charged every month: an owned number bought
// from the inventory, or the recording storage plan.
type Subscription struct {
	ID           uint          `gorm:"primaryKey" json:"id"`
	Kind         string        `json:"kind"`
	Ref          string        `json:"ref"` // the number (E.164) or the plan's name
	MonthlyPrice money.Credits `json:"monthly_price"`
	Details      string        `json:"-"` // JSON: the inventory row a number came from
	StartedAt    time.Time     `json:"started_at"`
	EndedAt      *time.Time    `json:"ended_at,omitempty"`
	UnpaidSince  *time.Time    `json:"unpaid_since,omitempty"`
}

// TableName is the subscriptions' table.
func (Subscription) TableName() string { return "billing_subscriptions" }

// Offer is a quote for a number or a storage plan.
type Offer struct {
	ID           uint          `gorm:"primaryKey" json:"id"`
	Kind         string        `json:"kind"`
	Ref          string        `json:"ref"`
	MonthlyPrice money.Credits `json:"monthly_price"`
	FirstCharge  money.Credits `json:"first_charge"`
	Details      string        `json:"-"`
	ExpiresAt    time.Time     `json:"expires_at"`
	Used         bool          `json:"-"`
	CreatedAt    time.Time     `json:"created_at"`
}

// TableName is the offers' table.
func (Offer) TableName() string { return "billing_offers" }

// numberDetails is what an offer and a subscription of a number keep.
type numberDetails struct {
	Available
	Address string `json:"address"`
}

// Subscriptions keeps the inventory, sells numbers and storage plans, and
// charges them every month.
type Subscriptions struct {
	db     *gorm.DB
	ledger *Ledger
	notes  *Notifier
	cal    Calendar
	now    func() time.Time
	// BillingDay is the day of the month (1-28) charges fall on.
	billingDay int
}

// NewSubscriptions returns the subscriptions in db, charged on billingDay
// of each month in cal's zone.
func NewSubscriptions(db *gorm.DB, ledger *Ledger, notes *Notifier, cal Calendar, billingDay int, now func() time.Time) *Subscriptions {
	if cal.Location == nil {
		cal.Location = time.UTC
	}
	return &Subscriptions{db: db, ledger: ledger, notes: notes, cal: cal, billingDay: billingDay, now: now}
}

// AddAvailable adds numbers to the inventory, all or none.
func (s *Subscriptions) AddAvailable(ctx context.Context, in []AvailableInput) (int, error) {
	v := &invalid.Error{}
	rows := make([]Available, 0, len(in))
	seen := map[string]bool{}
	for i, a := range in {
		at := fmt.Sprintf("numbers[%d].", i)
		e164 := strings.TrimSpace(a.E164)
		if len(e164) < 8 || len(e164) > 16 || e164[0] != '+' || !money.Digits(e164[1:]) {
			v.Add(at+"e164", "must be an E.164 number such as +15550001111")
		} else if seen[e164] {
			v.Add(at+"e164", "is listed twice")
		}
		seen[e164] = true
		if a.TrunkID == 0 {
			v.Add(at+"trunk_id", "is required: the trunk that offers the number")
		}
		if len(a.Country) != 2 || strings.ToUpper(a.Country) != a.Country {
			v.Add(at+"country", "must be an ISO 3166 code such as US")
		}
		if !contains(numberKinds, a.Type) {
			v.Add(at+"type", "must be local, mobile or toll_free")
		}
		if a.Type == "local" && strings.TrimSpace(a.Region) == "" {
			v.Add(at+"region", "is required for a local number")
		}
		price, err := money.Parse(a.MonthlyPrice)
		if err != nil || price < 0 {
			v.Add(at+"monthly_price", "must be a decimal string of credits, 0 or more")
		}
		rows = append(rows, Available{E164: e164, TrunkID: a.TrunkID, Country: a.Country, Type: a.Type,
			Region: strings.TrimSpace(a.Region), MonthlyPrice: price, AddressRequired: a.AddressRequired, CreatedAt: s.now().UTC()})
	}
	if err := v.Err(); err != nil {
		return 0, err
	}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for i, r := range rows {
			if err := tx.Create(&r).Error; errors.Is(err, gorm.ErrDuplicatedKey) {
				return invalid.New(fmt.Sprintf("numbers[%d].e164", i), "is in the inventory already")
			} else if err != nil {
				return err
			}
		}
		return nil
	})
	return len(rows), err
}

// ImportAvailableCSV adds the numbers of a CSV file with the columns
// e164, trunk_id, country, type, region, monthly_price, address_required.
func (s *Subscriptions) ImportAvailableCSV(ctx context.Context, r io.Reader) (int, error) {
	cr := csv.NewReader(r)
	head, err := cr.Read()
	if err != nil {
		return 0, invalid.New("file", "is not CSV with a header row")
	}
	col := map[string]int{}
	for i, h := range head {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	var in []AvailableInput
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, invalid.New(fmt.Sprintf("line %d", line), err.Error())
		}
		cell := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		trunk, _ := strconv.ParseUint(cell("trunk_id"), 10, 32)
		in = append(in, AvailableInput{E164: cell("e164"), TrunkID: uint(trunk), Country: cell("country"), Type: cell("type"),
			Region: cell("region"), MonthlyPrice: cell("monthly_price"), AddressRequired: cell("address_required") == "true"})
		if len(in) > 100_000 {
			return 0, invalid.New("file", "holds more than 100000 numbers")
		}
	}
	return s.AddAvailable(ctx, in)
}

// SearchAvailable lists numbers to buy; empty filters match all.
func (s *Subscriptions) SearchAvailable(ctx context.Context, country, typ, region string) ([]Available, error) {
	q := s.db.WithContext(ctx).Model(&Available{})
	if country != "" {
		q = q.Where("country = ?", country)
	}
	if typ != "" {
		q = q.Where("type = ?", typ)
	}
	if region != "" {
		q = q.Where("region = ?", region)
	}
	list := []Available{}
	if err := q.Order("country, type, region, e164").Limit(500).Find(&list).Error; err != nil {
		return nil, fmt.Errorf("available numbers: %w", err)
	}
	return list, nil
}

// OfferLifetime is how long a quote for a number or a plan holds.
const OfferLifetime = 15 * time.Minute

// QuoteNumber offers an available number: its monthly price and the first
// charge, paid when it is bought. A number whose inventory entry requires
// an address must be given one.
func (s *Subscriptions) QuoteNumber(ctx context.Context, e164, address string) (Offer, error) {
	var a Available
	err := s.db.WithContext(ctx).Where("e164 = ?", e164).Take(&a).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Offer{}, invalid.New("e164", "is not an available number")
	}
	if err != nil {
		return Offer{}, fmt.Errorf("quote number: %w", err)
	}
	if a.AddressRequired && strings.TrimSpace(address) == "" {
		return Offer{}, invalid.New("address", fmt.Sprintf("is required for a %s number in %s", a.Type, a.Country))
	}
	details, _ := json.Marshal(numberDetails{Available: a, Address: strings.TrimSpace(address)})
	now := s.now().UTC()
	o := Offer{Kind: SubNumber, Ref: a.E164, MonthlyPrice: a.MonthlyPrice, FirstCharge: a.MonthlyPrice,
		Details: string(details), ExpiresAt: now.Add(OfferLifetime), CreatedAt: now}
	if err := s.db.WithContext(ctx).Create(&o).Error; err != nil {
		return o, fmt.Errorf("quote number: %w", err)
	}
	return o, nil
}

// NewNumber is a bought number for the routing side to create.
type NewNumber struct {
	E164, Type, Country, Region, Address string
	TrunkID                              uint
}

// BuyNumber buys the number of offer id: the first month is charged (402
// territory: ErrInsufficientCredit when the balance cannot pay it), create
// makes the number ours (routing's numbers), it leaves the inventory and
// its monthly charge begins. If create fails the charge is refunded.
func (s *Subscriptions) BuyNumber(ctx context.Context, offerID uint, actor string, create func(context.Context, NewNumber) error) (Subscription, error) {
	o, err := s.offer(ctx, offerID, SubNumber)
	if err != nil {
		return Subscription{}, err
	}
	var d numberDetails
	json.Unmarshal([]byte(o.Details), &d)
	var still Available
	if err := s.db.WithContext(ctx).Where("e164 = ?", o.Ref).Take(&still).Error; err != nil {
		return Subscription{}, invalid.New("offer_id", "the number is no longer available")
	}
	// The subscription starts when it was quoted: a purchase retried after a
	// crash finds its first month charged under the same key.
	start := o.CreatedAt.UTC().Truncate(time.Second)
	sub := Subscription{Kind: SubNumber, Ref: o.Ref, MonthlyPrice: o.MonthlyPrice, Details: o.Details, StartedAt: start}
	key := s.periodKey(sub, start) // the first month is this billing month's charge
	if o.FirstCharge > 0 {
		if _, _, err := s.ledger.Post(ctx, Entry{Key: key, Kind: KindNumber, Category: CategoryNumbers, Amount: -o.FirstCharge,
			Ref: "number:" + o.Ref, Note: "first month of " + o.Ref, Actor: actor}, false); err != nil {
			return sub, err
		}
	}
	refund := func(why error) error {
		// The offer is spent: its charge key is used. A new quote buys again.
		s.db.WithContext(context.WithoutCancel(ctx)).Model(&Offer{}).Where("id = ?", o.ID).Update("used", true)
		if o.FirstCharge > 0 {
			if _, _, err := s.ledger.Post(context.WithoutCancel(ctx), Entry{Key: key + ":refund", Kind: KindAdjustment,
				Amount: o.FirstCharge, Ref: "number:" + o.Ref, Note: "refund: the number could not be added"}, true); err != nil {
				return errors.Join(why, err)
			}
		}
		return why
	}
	if err := create(ctx, NewNumber{E164: o.Ref, Type: d.Type, Country: d.Country, Region: d.Region, Address: d.Address, TrunkID: d.TrunkID}); err != nil {
		return sub, refund(err)
	}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("e164 = ?", o.Ref).Delete(&Available{}).Error; err != nil {
			return err
		}
		if err := tx.Model(&Offer{}).Where("id = ?", o.ID).Update("used", true).Error; err != nil {
			return err
		}
		return tx.Create(&sub).Error
	})
	if err != nil {
		return sub, fmt.Errorf("buy number %s: %w", o.Ref, err)
	}
	return sub, nil
}

func (s *Subscriptions) offer(ctx context.Context, id uint, kind string) (Offer, error) {
	var o Offer
	err := s.db.WithContext(ctx).Take(&o, id).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound) || err == nil && o.Kind != kind:
		return o, invalid.New("offer_id", "no such quote")
	case err != nil:
		return o, fmt.Errorf("offer %d: %w", id, err)
	case o.Used:
		return o, invalid.New("offer_id", "the quote was used already")
	case s.now().After(o.ExpiresAt):
		return o, invalid.New("offer_id", "the quote has expired; ask for a new one")
	}
	return o, nil
}

// ReleaseNumber ends the monthly charge of an owned number (it was deleted)
// and returns it to the inventory. A number not bought here is left alone.
func (s *Subscriptions) ReleaseNumber(ctx context.Context, e164 string) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var sub Subscription
		err := tx.Where("kind = ? AND ref = ? AND ended_at IS NULL", SubNumber, e164).Take(&sub).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		now := s.now().UTC()
		if err := tx.Model(&sub).Update("ended_at", now).Error; err != nil {
			return err
		}
		var d numberDetails
		if json.Unmarshal([]byte(sub.Details), &d) != nil || d.E164 == "" {
			return nil
		}
		back := d.Available
		back.ID, back.CreatedAt = 0, now
		return tx.Create(&back).Error
	})
}

// Active returns the subscriptions not ended.
func (s *Subscriptions) Active(ctx context.Context, kind string) ([]Subscription, error) {
	list := []Subscription{}
	q := s.db.WithContext(ctx).Where("ended_at IS NULL")
	if kind != "" {
		q = q.Where("kind = ?", kind)
	}
	if err := q.Order("id").Find(&list).Error; err != nil {
		return nil, fmt.Errorf("subscriptions: %w", err)
	}
	return list, nil
}

// periodStart returns the start of the billing month holding t: the most
// recent billing day at or before t, at midnight in the calendar's zone.
func (s *Subscriptions) periodStart(t time.Time) time.Time {
	t = t.In(s.cal.Location)
	start := time.Date(t.Year(), t.Month(), s.billingDay, 0, 0, 0, 0, s.cal.Location)
	if start.After(t) {
		start = start.AddDate(0, -1, 0)
	}
	return start
}

// periodKey is the ledger key of a subscription's charge for the billing
// month holding t: each month is charged once, however often the job runs.
// It names the subscription by what it is and when it began, so the first
// month can be charged before the subscription is stored.
func (s *Subscriptions) periodKey(sub Subscription, t time.Time) string {
	return fmt.Sprintf("sub:%s:%s:%d:%s", sub.Kind, sub.Ref, sub.StartedAt.Unix(), s.periodStart(t).Format("2006-01-02"))
}

// Grace is how long a monthly charge may stay unpaid before the number is
// released (or the storage plan falls back to the free one).
const Grace = 14 * 24 * time.Hour

// ChargeMonths charges every active subscription for each billing month
// from its start to now not charged yet. A charge the balance cannot pay
// is a notification and is tried again at the next run; past Grace the
// number is released through release (or the plan ends). It is safe to
// run as often as wanted, on any node, across restarts: each month of each
// subscription has one ledger key.
func (s *Subscriptions) ChargeMonths(ctx context.Context, release func(ctx context.Context, sub Subscription) error) (charged int, err error) {
	subs, err := s.Active(ctx, "")
	if err != nil {
		return 0, err
	}
	now := s.now()
	for _, sub := range subs {
		paidUp := true
		for p := s.periodStart(sub.StartedAt); !p.After(now); p = p.AddDate(0, 1, 0) {
			if sub.MonthlyPrice == 0 {
				break
			}
			label := p.Format("2006-01-02")
			kind, cat := KindNumber, CategoryNumbers
			if sub.Kind == SubStorage {
				kind, cat = KindStorage, CategoryStorage
			}
			_, posted, err := s.ledger.Post(ctx, Entry{Key: s.periodKey(sub, p), Kind: kind, Category: cat, Amount: -sub.MonthlyPrice,
				Ref: sub.Kind + ":" + sub.Ref, Note: fmt.Sprintf("%s %s, month from %s", sub.Kind, sub.Ref, label)}, false)
			switch {
			case errors.Is(err, ErrInsufficientCredit):
				paidUp = false
				s.notes.Notify(ctx, fmt.Sprintf("charge-failed:%d:%s:%s", sub.ID, label, now.In(s.cal.Location).Format("2006-01-02")),
					NoteChargeFailed, "Monthly charge failed",
					fmt.Sprintf("The %s %s could not be charged %s credits for the month from %s: the balance is too low. It is tried again every hour.",
						sub.Kind, sub.Ref, sub.MonthlyPrice, label))
			case err != nil:
				return charged, err
			case posted:
				charged++
			}
			if !paidUp {
				break
			}
		}
		if err := s.settle(ctx, sub, paidUp, now, release); err != nil {
			return charged, err
		}
	}
	return charged, nil
}

// settle notes whether sub is paid up, and releases what stayed unpaid past
// Grace.
func (s *Subscriptions) settle(ctx context.Context, sub Subscription, paidUp bool, now time.Time, release func(context.Context, Subscription) error) error {
	db := s.db.WithContext(ctx).Model(&Subscription{}).Where("id = ?", sub.ID)
	switch {
	case paidUp && sub.UnpaidSince != nil:
		return db.Update("unpaid_since", nil).Error
	case paidUp:
		return nil
	case sub.UnpaidSince == nil:
		return db.Update("unpaid_since", now.UTC()).Error
	case now.Sub(*sub.UnpaidSince) < Grace:
		return nil
	}
	if err := release(ctx, sub); err != nil {
		return fmt.Errorf("release %s %s: %w", sub.Kind, sub.Ref, err)
	}
	if err := db.Update("ended_at", now.UTC()).Error; err != nil {
		return err
	}
	s.notes.Notify(ctx, fmt.Sprintf("released:%d", sub.ID), NoteNumberReleased, "Unpaid "+sub.Kind+" released",
		fmt.Sprintf("The %s %s stayed unpaid for %d days and was released.", sub.Kind, sub.Ref, int(Grace.Hours()/24)))
	return nil
}

package billing

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"

	"pbx/invalid"
	"pbx/money"
)

// Directions a rate applies to.
const (
	Inbound  = "inbound"  // a call from a carrier to one of our numbers
	Outbound = "outbound" // a call out through a carrier
)

// Number types a rate may be limited to ("" is any).
var numberTypes = []string{"", "local", "mobile", "toll_free"}

// ErrNotFound: no rate (or quote, or purchase) with that id.
var ErrNotFound = errors.New("not found")

// Rate prices calls to (outbound) or from (inbound, on our numbers)
// numbers starting with Prefix (digits of the E.164 number without "+";
// "" matches every number). The longest prefix wins; a rate for the
// number's type wins over one for any type of the same prefix.
//
// A call is billed FirstIncrement seconds when answered, then by
// NextIncrement seconds ("60/60" bills whole minutes, "30/6" half a minute
// then 6 s steps, "1/1" by the second), each at PricePerMinute pro rata
// rounded up to the micro-credit; ConnectionFee is charged once at answer.
type Rate struct {
	ID             uint          `gorm:"primaryKey" json:"id"`
	Prefix         string        `json:"prefix"`
	Direction      string        `json:"direction"`
	NumberType     string        `json:"number_type"`
	PricePerMinute money.Credits `json:"price_per_minute"`
	FirstIncrement int           `json:"-"`
	NextIncrement  int           `json:"-"`
	ConnectionFee  money.Credits `json:"connection_fee"`
	Description    string        `json:"description"`
	Increment      string        `gorm:"-" json:"increment"`
	CreatedAt      time.Time     `json:"created_at"`
	UpdatedAt      time.Time     `json:"updated_at"`
}

// TableName is the rates' table.
func (Rate) TableName() string { return "billing_rates" }

// AfterFind fills in what the API derives.
func (r *Rate) AfterFind(*gorm.DB) error {
	r.Increment = fmt.Sprintf("%d/%d", r.FirstIncrement, r.NextIncrement)
	return nil
}

// Cost returns what one increment of seconds costs at r.
func (r Rate) Cost(seconds int) money.Credits {
	// Round up: a started micro-credit is charged.
	return money.Credits((int64(r.PricePerMinute)*int64(seconds) + 59) / 60)
}

// Increments is how a rate cuts time: the first increment, then the next
// ones.
func (r Rate) increment(n int) int {
	if n == 0 {
		return r.FirstIncrement
	}
	return r.NextIncrement
}

// RateInput is a rate as the API and CSV give it.
type RateInput struct {
	Prefix         *string `json:"prefix"`
	Direction      *string `json:"direction"`
	NumberType     *string `json:"number_type"`
	PricePerMinute *string `json:"price_per_minute"`
	Increment      *string `json:"increment"`
	ConnectionFee  *string `json:"connection_fee"`
	Description    *string `json:"description"`
}

// MaxIncrement bounds an increment, in seconds.
const MaxIncrement = 3600

// apply checks in and applies it to r; fields in is missing keep r's
// values (for a new rate, required fields must be present). Errors name
// the field with prefix at before it.
func (in RateInput) apply(r *Rate, creating bool, at string, v *invalid.Error) {
	if in.Prefix != nil {
		p := strings.TrimPrefix(strings.TrimSpace(*in.Prefix), "+")
		if len(p) > 15 || !money.Digits(p) {
			v.Add(at+"prefix", "must be up to 15 digits of an E.164 number (a country code and more), or empty for every number")
		}
		r.Prefix = p
	}
	if in.Direction != nil {
		r.Direction = *in.Direction
	}
	if (creating || in.Direction != nil) && r.Direction != Inbound && r.Direction != Outbound {
		v.Add(at+"direction", "must be inbound or outbound")
	}
	if in.NumberType != nil {
		r.NumberType = *in.NumberType
		if !contains(numberTypes, r.NumberType) {
			v.Add(at+"number_type", "must be local, mobile, toll_free or empty for any")
		}
	}
	switch {
	case in.PricePerMinute != nil:
		c, err := money.Parse(*in.PricePerMinute)
		if err != nil || c < 0 {
			v.Add(at+"price_per_minute", "must be a decimal string of credits, 0 or more, with at most 6 decimals")
		}
		r.PricePerMinute = c
	case creating:
		v.Add(at+"price_per_minute", "is required")
	}
	switch {
	case in.Increment != nil:
		first, next, ok := parseIncrement(*in.Increment)
		if !ok {
			v.Add(at+"increment", fmt.Sprintf("must be first/next seconds, each 1 to %d, such as 60/60, 30/6 or 1/1", MaxIncrement))
		}
		r.FirstIncrement, r.NextIncrement = first, next
	case creating:
		r.FirstIncrement, r.NextIncrement = 60, 60
	}
	if in.ConnectionFee != nil {
		c, err := money.Parse(*in.ConnectionFee)
		if err != nil || c < 0 {
			v.Add(at+"connection_fee", "must be a decimal string of credits, 0 or more, with at most 6 decimals")
		}
		r.ConnectionFee = c
	}
	if in.Description != nil {
		if len(*in.Description) > 200 {
			v.Add(at+"description", "must be at most 200 characters")
		}
		r.Description = *in.Description
	}
	r.Increment = fmt.Sprintf("%d/%d", r.FirstIncrement, r.NextIncrement)
}

func parseIncrement(s string) (first, next int, ok bool) {
	a, b, found := strings.Cut(strings.TrimSpace(s), "/")
	if !found {
		return 0, 0, false
	}
	first, err1 := strconv.Atoi(a)
	next, err2 := strconv.Atoi(b)
	if err1 != nil || err2 != nil || first < 1 || next < 1 || first > MaxIncrement || next > MaxIncrement {
		return 0, 0, false
	}
	return first, next, true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Rates stores the rates and finds the one for a call. Lookups read a copy
// held in memory, reloaded when a rate changes here and at least every
// reloadEvery (for rates changed by another node).
type Rates struct {
	db  *gorm.DB
	now func() time.Time

	mu       sync.Mutex
	all      []Rate
	loadedAt time.Time
}

const reloadEvery = 10 * time.Second

// NewRates returns the rates kept in db.
func NewRates(db *gorm.DB, now func() time.Time) *Rates { return &Rates{db: db, now: now} }

// List returns every rate, by direction and prefix.
func (rs *Rates) List(ctx context.Context) ([]Rate, error) {
	rates := []Rate{}
	if err := rs.db.WithContext(ctx).Order("direction, prefix, number_type").Find(&rates).Error; err != nil {
		return nil, fmt.Errorf("list rates: %w", err)
	}
	return rates, nil
}

// Get returns the rate with id, or ErrNotFound.
func (rs *Rates) Get(ctx context.Context, id uint) (Rate, error) {
	var r Rate
	err := rs.db.WithContext(ctx).Take(&r, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return r, fmt.Errorf("rate %d: %w", id, ErrNotFound)
	}
	return r, err
}

// Create stores a new rate.
func (rs *Rates) Create(ctx context.Context, in RateInput) (Rate, error) {
	var r Rate
	v := &invalid.Error{}
	in.apply(&r, true, "", v)
	if err := v.Err(); err != nil {
		return r, err
	}
	err := rs.db.WithContext(ctx).Create(&r).Error
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return r, invalid.New("prefix", "a rate for this prefix, direction and number type exists")
	}
	if err != nil {
		return r, fmt.Errorf("create rate: %w", err)
	}
	rs.invalidate()
	return r, nil
}

// Update changes the fields of in that are set.
func (rs *Rates) Update(ctx context.Context, id uint, in RateInput) (Rate, error) {
	r, err := rs.Get(ctx, id)
	if err != nil {
		return r, err
	}
	v := &invalid.Error{}
	in.apply(&r, false, "", v)
	if err := v.Err(); err != nil {
		return r, err
	}
	err = rs.db.WithContext(ctx).Save(&r).Error
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return r, invalid.New("prefix", "a rate for this prefix, direction and number type exists")
	}
	if err != nil {
		return r, fmt.Errorf("update rate: %w", err)
	}
	rs.invalidate()
	return r, nil
}

// Delete removes the rate with id.
func (rs *Rates) Delete(ctx context.Context, id uint) error {
	res := rs.db.WithContext(ctx).Delete(&Rate{}, id)
	if res.Error != nil {
		return fmt.Errorf("delete rate: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("rate %d: %w", id, ErrNotFound)
	}
	rs.invalidate()
	return nil
}

func (rs *Rates) invalidate() {
	rs.mu.Lock()
	rs.all = nil
	rs.mu.Unlock()
}

// Find returns the rate for a call in direction to or from number (E.164)
// of numberType, and whether there is one: the longest matching prefix,
// the number's type before any type.
func (rs *Rates) Find(ctx context.Context, direction, number, numberType string) (Rate, bool, error) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.all == nil || rs.now().Sub(rs.loadedAt) > reloadEvery {
		var all []Rate
		if err := rs.db.WithContext(ctx).Find(&all).Error; err != nil {
			return Rate{}, false, fmt.Errorf("load rates: %w", err)
		}
		rs.all, rs.loadedAt = all, rs.now()
	}
	digits := strings.TrimPrefix(number, "+")
	best, found := Rate{}, false
	for _, r := range rs.all {
		if r.Direction != direction || !strings.HasPrefix(digits, r.Prefix) || (r.NumberType != "" && r.NumberType != numberType) {
			continue
		}
		if !found || len(r.Prefix) > len(best.Prefix) || len(r.Prefix) == len(best.Prefix) && r.NumberType != "" {
			best, found = r, true
		}
	}
	return best, found, nil
}

// RateCSVHeader is the header of the rates' CSV form.
var RateCSVHeader = []string{"prefix", "direction", "number_type", "price_per_minute", "increment", "connection_fee", "description"}

// WriteCSV writes every rate as CSV with a header row.
func (rs *Rates) WriteCSV(ctx context.Context, w io.Writer) error {
	rates, err := rs.List(ctx)
	if err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.Write(RateCSVHeader)
	for _, r := range rates {
		desc := r.Description
		if desc != "" && strings.ContainsAny(desc[:1], "=+-@\t\r") {
			desc = "'" + desc // a spreadsheet must not run it as a formula
		}
		cw.Write([]string{r.Prefix, r.Direction, r.NumberType, r.PricePerMinute.String(), r.Increment, r.ConnectionFee.String(), desc})
	}
	cw.Flush()
	return cw.Error()
}

// MaxCSVRates bounds an import.
const MaxCSVRates = 100_000

// ImportCSV adds or replaces (by prefix, direction and number type) the
// rates of a CSV file with RateCSVHeader's columns, all or none: an error
// names each bad line ("line 3: price_per_minute ...").
func (rs *Rates) ImportCSV(ctx context.Context, r io.Reader) (int, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err != nil {
		return 0, invalid.New("file", "is not CSV with a header row: "+err.Error())
	}
	col := map[string]int{}
	for i, h := range head {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	for _, need := range []string{"prefix", "direction", "price_per_minute"} {
		if _, ok := col[need]; !ok {
			return 0, invalid.New("file", "the header has no "+need+" column")
		}
	}
	v := &invalid.Error{}
	var rates []Rate
	seen := map[string]int{}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			v.Add(fmt.Sprintf("line %d", line), err.Error())
			break
		}
		if len(rates) >= MaxCSVRates {
			v.Add("file", fmt.Sprintf("holds more than %d rates", MaxCSVRates))
			break
		}
		cell := func(name string) *string {
			i, ok := col[name]
			if !ok || i >= len(rec) {
				return nil
			}
			s := strings.TrimSpace(rec[i])
			if name == "description" {
				s = strings.TrimPrefix(s, "'")
			}
			return &s
		}
		in := RateInput{Prefix: cell("prefix"), Direction: cell("direction"), NumberType: cell("number_type"),
			PricePerMinute: cell("price_per_minute"), Increment: cell("increment"), ConnectionFee: cell("connection_fee"),
			Description: cell("description")}
		if in.Increment != nil && *in.Increment == "" {
			in.Increment = nil
		}
		if in.ConnectionFee != nil && *in.ConnectionFee == "" {
			in.ConnectionFee = nil
		}
		var rate Rate
		in.apply(&rate, true, fmt.Sprintf("line %d: ", line), v)
		k := rate.Prefix + "|" + rate.Direction + "|" + rate.NumberType
		if first, dup := seen[k]; dup {
			v.Add(fmt.Sprintf("line %d: prefix", line), fmt.Sprintf("repeats line %d's prefix, direction and number type", first))
		}
		seen[k] = line
		rates = append(rates, rate)
	}
	if err := v.Err(); err != nil {
		return 0, err
	}
	err = rs.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, rate := range rates {
			var had Rate
			err := tx.Where("prefix = ? AND direction = ? AND number_type = ?", rate.Prefix, rate.Direction, rate.NumberType).Take(&had).Error
			switch {
			case err == nil:
				rate.ID, rate.CreatedAt = had.ID, had.CreatedAt
				err = tx.Save(&rate).Error
			case errors.Is(err, gorm.ErrRecordNotFound):
				err = tx.Create(&rate).Error
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("import rates: %w", err)
	}
	rs.invalidate()
	return len(rates), nil
}

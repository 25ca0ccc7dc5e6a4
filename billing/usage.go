package billing

import (
	"context"
	"fmt"
	"time"

	"pbx/invalid"
	"pbx/money"
)

// Periods of usage analytics.
const (
	ThisWeek    = "this_week"
	LastWeek    = "last_week"
	ThisMonth   = "this_month"
	LastMonth   = "last_month"
	ThisQuarter = "this_quarter"
	LastQuarter = "last_quarter"
	Custom      = "custom"
)

// Calendar is the organisation's: its time zone and the day its weeks
// start.
type Calendar struct {
	Location  *time.Location
	WeekStart time.Weekday
}

// Period returns the half-open interval [from, to) that name covers at
// now, in the calendar's zone: weeks from WeekStart, months, quarters
// (January, April, July, October). A custom period runs from the start of
// the day from to the end of the day to (dates as 2006-01-02).
func (c Calendar) Period(name string, now time.Time, from, to string) (time.Time, time.Time, error) {
	now = now.In(c.Location)
	day := func(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, c.Location) }
	today := day(now)
	switch name {
	case ThisWeek, LastWeek:
		back := (int(today.Weekday()) - int(c.WeekStart) + 7) % 7
		start := today.AddDate(0, 0, -back)
		if name == LastWeek {
			return start.AddDate(0, 0, -7), start, nil
		}
		return start, start.AddDate(0, 0, 7), nil
	case ThisMonth, LastMonth:
		start := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, c.Location)
		if name == LastMonth {
			return start.AddDate(0, -1, 0), start, nil
		}
		return start, start.AddDate(0, 1, 0), nil
	case ThisQuarter, LastQuarter:
		q := (int(today.Month()) - 1) / 3
		start := time.Date(today.Year(), time.Month(q*3+1), 1, 0, 0, 0, 0, c.Location)
		if name == LastQuarter {
			return start.AddDate(0, -3, 0), start, nil
		}
		return start, start.AddDate(0, 3, 0), nil
	case Custom:
		v := &invalid.Error{}
		f, err1 := time.ParseInLocation("2006-01-02", from, c.Location)
		t, err2 := time.ParseInLocation("2006-01-02", to, c.Location)
		if err1 != nil {
			v.Add("from", "must be a date such as 2026-01-31")
		}
		if err2 != nil {
			v.Add("to", "must be a date such as 2026-01-31")
		}
		if err1 == nil && err2 == nil && t.Before(f) {
			v.Add("to", "must not be before from")
		}
		if err1 == nil && err2 == nil && t.Sub(f) > 366*24*time.Hour {
			v.Add("to", "a custom period is at most a year")
		}
		if err := v.Err(); err != nil {
			return time.Time{}, time.Time{}, err
		}
		return f, t.AddDate(0, 0, 1), nil
	}
	return time.Time{}, time.Time{}, invalid.New("period", "must be this_week, last_week, this_month, last_month, this_quarter, last_quarter or custom")
}

// Day is one day of usage.
type Day struct {
	Date        string        `json:"date"` // 2006-01-02 in the organisation's zone
	Bought      money.Credits `json:"bought"`
	Used        money.Credits `json:"used"`
	BoughtLocal string        `json:"bought_local,omitempty"`
	UsedLocal   string        `json:"used_local,omitempty"`
}

// Usage is what was bought and used in a period.
type Usage struct {
	Period      string                   `json:"period"`
	From        time.Time                `json:"from"`
	To          time.Time                `json:"to"`
	Bought      money.Credits            `json:"bought"`
	Used        money.Credits            `json:"used"`
	Currency    string                   `json:"currency"`
	BoughtLocal string                   `json:"bought_local"`
	UsedLocal   string                   `json:"used_local"`
	ByCategory  map[string]money.Credits `json:"by_category"`
	// ByCategoryLocal is ByCategory in the local currency.
	ByCategoryLocal map[string]string `json:"by_category_local"`
	Daily           []Day             `json:"daily"`
}

// Usage sums the ledger between from and to: credits bought (purchases),
// used (every charge, by category) and a series of days in the calendar's
// zone. Adjustments count as neither.
func (l *Ledger) Usage(ctx context.Context, cal Calendar, from, to time.Time) (Usage, error) {
	u := Usage{From: from, To: to, ByCategory: map[string]money.Credits{
		CategoryInbound: 0, CategoryOutbound: 0, CategoryNumbers: 0, CategoryStorage: 0}}
	var rows []struct {
		Kind      string
		Category  string
		Amount    int64
		CreatedAt time.Time
	}
	err := l.db.WithContext(ctx).Model(&Entry{}).Select("kind, category, amount, created_at").
		Where("created_at >= ? AND created_at < ? AND kind <> ?", from.UTC(), to.UTC(), KindAdjustment).
		Order("created_at").Scan(&rows).Error
	if err != nil {
		return u, fmt.Errorf("usage: %w", err)
	}
	index := map[string]int{}
	for d := from.In(cal.Location); d.Before(to); d = d.AddDate(0, 0, 1) {
		key := d.Format("2006-01-02")
		index[key] = len(u.Daily)
		u.Daily = append(u.Daily, Day{Date: key})
	}
	for _, r := range rows {
		i, ok := index[r.CreatedAt.In(cal.Location).Format("2006-01-02")]
		switch {
		case r.Kind == KindPurchase:
			u.Bought += money.Credits(r.Amount)
			if ok {
				u.Daily[i].Bought += money.Credits(r.Amount)
			}
		case r.Amount < 0:
			used := money.Credits(-r.Amount)
			u.Used += used
			u.ByCategory[r.Category] += used
			if ok {
				u.Daily[i].Used += used
			}
		}
	}
	return u, nil
}

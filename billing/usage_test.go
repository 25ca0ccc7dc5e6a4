package billing

import (
	"context"
	"testing"
	"time"

	"pbx/money"
)

func TestPeriods(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	d := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, ny)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	mon := Calendar{Location: ny, WeekStart: time.Monday}
	sun := Calendar{Location: ny, WeekStart: time.Sunday}
	for _, tt := range []struct {
		cal        Calendar
		period     string
		now        string
		from, to   string
		fromQ, toQ string
	}{
		// Sunday 2026-03-08 is the day New York moves its clocks forward.
		{cal: mon, period: ThisWeek, now: "2026-03-08 23:30", from: "2026-03-02 00:00", to: "2026-03-09 00:00"},
		{cal: sun, period: ThisWeek, now: "2026-03-08 23:30", from: "2026-03-08 00:00", to: "2026-03-15 00:00"},
		{cal: mon, period: LastWeek, now: "2026-03-09 00:10", from: "2026-03-02 00:00", to: "2026-03-09 00:00"},
		{cal: mon, period: ThisMonth, now: "2026-01-31 23:59", from: "2026-01-01 00:00", to: "2026-02-01 00:00"},
		{cal: mon, period: LastMonth, now: "2026-01-15 12:00", from: "2025-12-01 00:00", to: "2026-01-01 00:00"},
		{cal: mon, period: ThisQuarter, now: "2026-12-31 23:59", from: "2026-10-01 00:00", to: "2027-01-01 00:00"},
		{cal: mon, period: LastQuarter, now: "2026-01-01 00:00", from: "2025-10-01 00:00", to: "2026-01-01 00:00"},
		{cal: mon, period: Custom, now: "2026-06-01 00:00", fromQ: "2026-03-07", toQ: "2026-03-08", from: "2026-03-07 00:00", to: "2026-03-09 00:00"},
	} {
		from, to, err := tt.cal.Period(tt.period, d(tt.now), tt.fromQ, tt.toQ)
		if err != nil || !from.Equal(d(tt.from)) || !to.Equal(d(tt.to)) {
			t.Errorf("%s at %s (week from %s): %s - %s (%v), want %s - %s", tt.period, tt.now, tt.cal.WeekStart, from, to, err, tt.from, tt.to)
		}
	}
	// The week of the clock change is 167 hours long, not 168.
	from, to, _ := mon.Period(ThisWeek, d("2026-03-08 12:00"), "", "")
	if to.Sub(from) != 167*time.Hour {
		t.Errorf("the DST week lasts %s", to.Sub(from))
	}
	if _, _, err := mon.Period("yesterday", time.Now(), "", ""); err == nil {
		t.Error("an unknown period was accepted")
	}
	if _, _, err := mon.Period(Custom, time.Now(), "2026-03-09", "2026-03-01"); err == nil {
		t.Error("a custom period ending before it starts was accepted")
	}
}

func TestUsage(t *testing.T) {
	ctx := context.Background()
	ny, _ := time.LoadLocation("America/New_York")
	cal := Calendar{Location: ny, WeekStart: time.Monday}
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, ny)
	l := NewLedger(testDB(t), func() time.Time { return at })
	post := func(key, kind, cat string, amount int64, when time.Time) {
		if _, _, err := l.Post(ctx, Entry{Key: key, Kind: kind, Category: cat, Amount: money.Credits(amount), CreatedAt: when}, true); err != nil {
			t.Fatal(err)
		}
	}
	post("p1", KindPurchase, "", 50_000_000, at)
	post("c1", KindCall, CategoryOutbound, -1_000_000, at.Add(time.Hour))
	post("c2", KindCall, CategoryInbound, -500_000, at.Add(24*time.Hour))
	// 23:30 in New York on Tuesday is Wednesday in UTC: it is Tuesday's.
	post("n1", KindNumber, CategoryNumbers, -2_000_000, time.Date(2026, 3, 3, 23, 30, 0, 0, ny))
	post("a1", KindAdjustment, "", 3_000_000, at)
	post("old", KindCall, CategoryOutbound, -9_000_000, at.AddDate(0, 0, -7))
	from, to, _ := cal.Period(ThisWeek, at, "", "")
	u, err := l.Usage(ctx, cal, from, to)
	if err != nil {
		t.Fatal(err)
	}
	if u.Bought != 50_000_000 || u.Used != 3_500_000 || u.ByCategory[CategoryOutbound] != 1_000_000 ||
		u.ByCategory[CategoryInbound] != 500_000 || u.ByCategory[CategoryNumbers] != 2_000_000 || u.ByCategory[CategoryStorage] != 0 {
		t.Fatalf("usage %+v", u)
	}
	if len(u.Daily) != 7 || u.Daily[0].Date != "2026-03-02" || u.Daily[0].Bought != 50_000_000 || u.Daily[0].Used != 1_000_000 ||
		u.Daily[1].Used != 2_500_000 {
		t.Fatalf("daily %+v", u.Daily)
	}
}

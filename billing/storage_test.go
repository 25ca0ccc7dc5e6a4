package billing

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"pbx/money"
)

func TestStoragePlansAndQuota(t *testing.T) {
	ctx := context.Background()
	subs, l, n, clk := testSubscriptions(t, 30*money.Micro)
	w := NewWallet(subs.db, l, Manual{}, n, WalletConfig{Rate: 1_000_000, Currency: "USD"}, n.log, clk.now)
	defer w.Wait()
	recorded := int64(999 * 60)
	st := NewStorage(w, subs, n, func(context.Context) (int64, error) { return recorded, nil })
	state, err := st.State(ctx)
	if err != nil || state.Plan != "free" || state.QuotaMinutes != 1000 || state.UsedMinutes != 999 {
		t.Fatalf("state %+v %v", state, err)
	}
	if !st.MayRecord(ctx) {
		t.Fatal("refused a recording under the quota")
	}
	st.Recorded(60) // one more minute: the quota is reached
	if st.MayRecord(ctx) {
		t.Fatal("a recording past the quota was allowed")
	}
	st.MayRecord(ctx)
	if notes, _, _ := n.List(ctx); len(notes) != 1 || notes[0].Kind != NoteQuotaReached {
		t.Fatalf("notifications %+v", notes)
	}
	if _, err := st.QuotePlan(ctx, "2m"); err == nil {
		t.Fatal("an unknown plan was quoted")
	}
	o, err := st.QuotePlan(ctx, "1m") // 75 credits: more than the 30 there are
	if err != nil || o.FirstCharge != 75*money.Micro {
		t.Fatalf("offer %+v %v", o, err)
	}
	if _, err := st.BuyPlan(ctx, o.ID, "admin"); !errors.Is(err, ErrInsufficientCredit) {
		t.Fatalf("a plan bought without credit: %v", err)
	}
	o, _ = st.QuotePlan(ctx, "50k")
	state, err = st.BuyPlan(ctx, o.ID, "admin")
	if err != nil || state.Plan != "50k" || state.QuotaMinutes != 50_000 || !st.MayRecord(ctx) {
		t.Fatalf("after buying 50k: %+v %v", state, err)
	}
	if b, _ := l.Balance(ctx); b != 5*money.Micro {
		t.Fatalf("balance %s", b)
	}
	// The plan is charged on the next billing day, once.
	clk.t = time.Date(2026, 2, 1, 3, 0, 0, 0, time.UTC)
	l.Post(ctx, Entry{Key: "more", Kind: KindPurchase, Amount: 100 * money.Micro}, false)
	for range 2 {
		subs.ChargeMonths(ctx, nil)
	}
	if b, _ := l.Balance(ctx); b != 80*money.Micro {
		t.Fatalf("balance %s after February", b)
	}
	if _, err := st.SetAutoDelete(ctx, 4); err == nil || !strings.Contains(err.Error(), "auto_delete_months") {
		t.Fatalf("4 months: %v", err)
	}
	if s, err := st.SetAutoDelete(ctx, 3); err != nil || s.AutoDeleteMonths != 3 {
		t.Fatalf("3 months: %+v %v", s, err)
	}
	before, on, _ := st.AutoDeleteBefore(ctx, clk.t)
	if !on || !before.Equal(time.Date(2025, 11, 1, 3, 0, 0, 0, time.UTC)) {
		t.Fatalf("auto-delete before %s (%v)", before, on)
	}
}

package web

import (
	"context"
	"io"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"gorm.io/gorm"

	"pbx/billing"
	"pbx/routing"
	"pbx/store"
)

func billingServer(t *testing.T) *Server {
	t.Helper()
	db, log := testDB(t)
	if err := store.MigrateVersioned(context.Background(), db, "billing", billing.Migrations(), log); err != nil {
		t.Fatal(err)
	}
	ledger := billing.NewLedger(db, time.Now)
	notes := billing.NewNotifier(db, "", "", log, time.Now)
	w := billing.NewWallet(db, ledger, billing.Manual{}, notes, billing.WalletConfig{Currency: "EUR", Rate: 920_000}, log, time.Now)
	t.Cleanup(w.Wait)
	subs := billing.NewSubscriptions(db, ledger, notes, billing.Calendar{Location: time.UTC}, 1, time.Now)
	storage := billing.NewStorage(w, subs, notes, routing.NewHistory(db, nil).RecordedSeconds)
	return NewServer(Config{AdminToken: bootstrap}, db, routing.NewDirectory(db, "pbx", routing.WithTrunks(anyTrunk)), noRegistrations{}, prometheus.NewRegistry(), log,
		WithBilling(w, billing.NewRates(db, time.Now)), WithNotifications(notes), WithNumberStore(subs), WithStorage(storage))
}

// anyTrunk lets numbers name any trunk: the billing tests have no trunks.
func anyTrunk(*gorm.DB, uint) (bool, error) { return true, nil }

func TestBuyCredits(t *testing.T) {
	s := billingServer(t)
	api := func(method, path, body string) *http.Response {
		return do(t, s, req{method: method, path: path, body: body, bearer: bootstrap})
	}
	w := decodeBody[walletBody](t, api("GET", "/api/v1/wallet", ""))
	if w.Balance != 0 || w.Currency != "EUR" || w.BalanceLocal != "0.00" || w.ExchangeRate != "0.92" {
		t.Fatalf("wallet %+v", w)
	}
	wantFields(t, api("POST", "/api/v1/wallet/quotes", `{"credits": 50}`), "credits") // a JSON number
	wantFields(t, api("POST", "/api/v1/wallet/quotes", `{"credits": "12.1234567"}`), "credits")
	wantFields(t, api("POST", "/api/v1/wallet/quotes", `{}`), "credits")
	res := api("POST", "/api/v1/wallet/quotes", `{"credits": "50"}`)
	wantStatus(t, res, http.StatusCreated)
	q := decodeBody[billing.Quote](t, res)
	if q.Price != "46.00" || q.Credits.String() != "50" {
		t.Fatalf("quote %+v", q)
	}
	wantFields(t, api("POST", "/api/v1/wallet/purchases", `{"quote_id": 999}`), "quote_id")
	res = api("POST", "/api/v1/wallet/purchases", `{"quote_id": `+itoa(q.ID)+`}`)
	wantStatus(t, res, http.StatusCreated)
	if p := decodeBody[billing.Purchase](t, res); p.Status != "paid" || p.Actor != `API token "the bootstrap token"` || !strings.HasPrefix(p.Reference, "INV-") {
		t.Fatalf("purchase %+v", p)
	}
	w = decodeBody[walletBody](t, api("GET", "/api/v1/wallet", ""))
	if w.Balance.String() != "50" || w.BalanceLocal != "46.00" {
		t.Fatalf("wallet after buying %+v", w)
	}
	hist := decodeBody[struct{ Purchases []billing.Purchase }](t, api("GET", "/api/v1/wallet/purchases", ""))
	if len(hist.Purchases) != 1 {
		t.Fatalf("history %+v", hist)
	}
	if a := decodeBody[billing.Audit](t, api("GET", "/api/v1/wallet/check", "")); !a.OK || a.Sum.String() != "50" {
		t.Fatalf("audit %+v", a)
	}
	wantFields(t, api("PUT", "/api/v1/wallet/auto-recharge", `{"enabled": true, "min_balance": "5"}`), "credits")
	res = api("PUT", "/api/v1/wallet/auto-recharge", `{"enabled": true, "min_balance": "5", "credits": "20"}`)
	wantStatus(t, res, http.StatusOK)
	if w := decodeBody[walletBody](t, api("GET", "/api/v1/wallet", "")); !w.AutoRecharge.Enabled || w.AutoRecharge.Credits.String() != "20" {
		t.Fatalf("auto-recharge %+v", w.AutoRecharge)
	}
}

func TestRatesAPI(t *testing.T) {
	s := billingServer(t)
	api := func(method, path, body string) *http.Response {
		return do(t, s, req{method: method, path: path, body: body, bearer: bootstrap})
	}
	wantFields(t, api("POST", "/api/v1/rates", `{"prefix": "x1", "direction": "up", "price_per_minute": "-1", "increment": "60"}`),
		"prefix", "direction", "price_per_minute", "increment")
	res := api("POST", "/api/v1/rates", `{"prefix": "+1", "direction": "outbound", "price_per_minute": "0.02", "increment": "60/60", "connection_fee": "0"}`)
	wantStatus(t, res, http.StatusCreated)
	r := decodeBody[rateBody](t, res)
	if r.Prefix != "1" || r.Increment != "60/60" || r.PricePerMinute.String() != "0.02" || r.PricePerMinuteLocal != "0.02" {
		t.Fatalf("rate %+v", r)
	}
	wantFields(t, api("POST", "/api/v1/rates", `{"prefix": "1", "direction": "outbound", "price_per_minute": "0.03"}`), "prefix")
	res = api("PUT", "/api/v1/rates/"+itoa(r.ID), `{"increment": "30/6"}`)
	wantStatus(t, res, http.StatusOK)
	if got := decodeBody[billing.Rate](t, res); got.Increment != "30/6" || got.PricePerMinute.String() != "0.02" {
		t.Fatalf("updated %+v", got)
	}
	wantFields(t, api("POST", "/api/v1/rates.csv", "prefix,direction,price_per_minute\n44,outbound,0.05\n49,sideways,0.02\n"), "line 3: direction")
	res = api("POST", "/api/v1/rates.csv", "prefix,direction,number_type,price_per_minute,increment,connection_fee,description\n44,outbound,mobile,0.05,60/1,0,UK mobile\n1,outbound,,0.01,60/60,0,US\n")
	wantStatus(t, res, http.StatusOK)
	res = api("GET", "/api/v1/rates.csv", "")
	b, _ := io.ReadAll(res.Body)
	if !strings.Contains(string(b), "44,outbound,mobile,0.05,60/1,0,UK mobile") || !strings.Contains(string(b), "1,outbound,,0.01,60/60,0,US") {
		t.Fatalf("export:\n%s", b)
	}
	wantStatus(t, api("DELETE", "/api/v1/rates/"+itoa(r.ID), ""), http.StatusNoContent)
	wantStatus(t, api("GET", "/api/v1/rates/"+itoa(r.ID), ""), http.StatusNotFound)
}

func TestWalletUsageAPI(t *testing.T) {
	s := billingServer(t)
	api := func(path string) *http.Response { return do(t, s, req{method: "GET", path: path, bearer: bootstrap}) }
	res := api("/api/v1/wallet/usage?period=this_week")
	wantStatus(t, res, http.StatusOK)
	if u := decodeBody[billing.Usage](t, res); u.Period != "this_week" || len(u.Daily) != 7 || u.Used != 0 {
		t.Fatalf("usage %+v", u)
	}
	wantFields(t, api("/api/v1/wallet/usage?period=fortnight"), "period")
	wantFields(t, api("/api/v1/wallet/usage?period=custom&from=2026-03-09&to=2026-03-01"), "to")
	wantFields(t, api("/api/v1/wallet/usage?period=this_week&owner=3"), "owner")
}

func TestBuyANumber(t *testing.T) {
	s := billingServer(t)
	api := func(method, path, body string) *http.Response {
		return do(t, s, req{method: method, path: path, body: body, bearer: bootstrap})
	}
	wantStatus(t, api("POST", "/api/v1/numbers/available", `{"numbers":[{"e164":"+15550100001","trunk_id":1,"country":"US","type":"local","region":"New York","monthly_price":"2"}]}`), http.StatusCreated)
	wantFields(t, api("POST", "/api/v1/numbers/available", `{"numbers":[{"e164":"555","trunk_id":1,"country":"US","type":"local","monthly_price":"2"}]}`),
		"numbers[0].e164", "numbers[0].region")
	res := api("POST", "/api/v1/numbers/quotes", `{"e164":"+15550100001"}`)
	wantStatus(t, res, http.StatusCreated)
	o := decodeBody[billing.Offer](t, res)
	wantStatus(t, api("POST", "/api/v1/numbers/purchases", `{"offer_id":`+itoa(o.ID)+`}`), http.StatusPaymentRequired)
	q := decodeBody[billing.Quote](t, api("POST", "/api/v1/wallet/quotes", `{"credits":"5"}`))
	wantStatus(t, api("POST", "/api/v1/wallet/purchases", `{"quote_id":`+itoa(q.ID)+`}`), http.StatusCreated)
	res = api("POST", "/api/v1/numbers/purchases", `{"offer_id":`+itoa(o.ID)+`}`)
	wantStatus(t, res, http.StatusCreated)
	bought := decodeBody[struct{ Number routing.Number }](t, res)
	if bought.Number.E164 != "+15550100001" || bought.Number.Region != "New York" {
		t.Fatalf("bought %+v", bought)
	}
	if w := decodeBody[walletBody](t, api("GET", "/api/v1/wallet", "")); w.Balance.String() != "3" {
		t.Fatalf("balance %s after the first month", w.Balance)
	}
	// The list says what each number costs a month; a number added by hand is not billed here.
	wantStatus(t, api("POST", "/api/v1/numbers", `{"e164":"+15550100002","type":"toll_free","country":"US"}`), http.StatusCreated)
	owned := decodeBody[struct{ Numbers []listedNumber }](t, api("GET", "/api/v1/numbers", ""))
	prices := map[string]string{}
	for _, n := range owned.Numbers {
		prices[n.E164] = "none"
		if n.MonthlyPrice != nil {
			prices[n.E164] = n.MonthlyPrice.String() + " / " + n.MonthlyPriceLocal
		}
	}
	if want := map[string]string{"+15550100001": "2 / 1.84", "+15550100002": "none"}; !maps.Equal(prices, want) {
		t.Fatalf("monthly prices %v, want %v", prices, want)
	}
	wantStatus(t, api("DELETE", "/api/v1/numbers/"+itoa(bought.Number.ID), ""), http.StatusNoContent)
	list := decodeBody[struct{ Numbers []billing.Available }](t, api("GET", "/api/v1/numbers/available?country=US", ""))
	if len(list.Numbers) != 1 {
		t.Fatalf("the deleted number is not offered again: %+v", list)
	}
}

func TestStorageAPI(t *testing.T) {
	s := billingServer(t)
	api := func(method, path, body string) *http.Response {
		return do(t, s, req{method: method, path: path, body: body, bearer: bootstrap})
	}
	st := decodeBody[storageBody](t, api("GET", "/api/v1/storage", ""))
	if st.Plan != "free" || st.QuotaMinutes != 1000 || len(st.Plans) != 4 || st.Plans[1].MonthlyPriceLocal != "23.00" {
		t.Fatalf("storage %+v", st)
	}
	wantFields(t, api("PUT", "/api/v1/storage", `{"auto_delete_months": 5}`), "auto_delete_months")
	wantStatus(t, api("PUT", "/api/v1/storage", `{"auto_delete_months": 6}`), http.StatusOK)
	wantFields(t, api("POST", "/api/v1/storage/quotes", `{"plan": "huge"}`), "plan")
	res := api("POST", "/api/v1/storage/quotes", `{"plan": "200k"}`)
	wantStatus(t, res, http.StatusCreated)
	o := decodeBody[billing.Offer](t, res)
	wantStatus(t, api("POST", "/api/v1/storage/purchases", `{"offer_id":`+itoa(o.ID)+`}`), http.StatusPaymentRequired)
	q := decodeBody[billing.Quote](t, api("POST", "/api/v1/wallet/quotes", `{"credits":"60"}`))
	wantStatus(t, api("POST", "/api/v1/wallet/purchases", `{"quote_id":`+itoa(q.ID)+`}`), http.StatusCreated)
	res = api("POST", "/api/v1/storage/purchases", `{"offer_id":`+itoa(o.ID)+`}`)
	wantStatus(t, res, http.StatusCreated)
	if st := decodeBody[billing.StorageState](t, res); st.Plan != "200k" || st.AutoDeleteMonths != 6 {
		t.Fatalf("after buying: %+v", st)
	}
	if u := decodeBody[billing.Usage](t, api("GET", "/api/v1/wallet/usage?period=this_month", "")); u.ByCategory["storage"].String() != "50" {
		t.Fatalf("usage %+v", u)
	}
}

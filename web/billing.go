package web

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"

	"pbx/billing"
	"pbx/invalid"
	"pbx/money"
)

// WithBilling serves the wallet (credits, purchases, auto-recharge) and
// the rates.
func WithBilling(w *billing.Wallet, r *billing.Rates) Option {
	return func(s *Server) { s.wallet, s.rates = w, r }
}

// WithNotifications serves the notifications.
func WithNotifications(n *billing.Notifier) Option { return func(s *Server) { s.notes = n } }

func (s *Server) listNotifications(w http.ResponseWriter, r *http.Request) {
	list, unread, err := s.notes.List(r.Context())
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"notifications": list, "unread": unread})
}

func (s *Server) dismissNotification(ctx context.Context, id uint) error {
	return s.notes.Dismiss(ctx, id)
}

// actor names who made a request, for the purchase history: the signed-in
// admin, or the API token by its name.
func actor(ctx context.Context) string {
	p := principalFrom(ctx)
	if p.session != nil {
		return "admin (signed in)"
	}
	return "API token " + strconv.Quote(p.token)
}

type walletBody struct {
	Balance        money.Credits    `json:"balance"`
	Currency       string           `json:"currency"`
	BalanceLocal   string           `json:"balance_local"`
	ExchangeRate   string           `json:"exchange_rate"`
	AutoRecharge   autoRechargeBody `json:"auto_recharge"`
	PartnerManaged bool             `json:"partner_managed"`
}

// autoRechargeBody is the auto-recharge settings, amounts also local.
type autoRechargeBody struct {
	billing.AutoRecharge
	MinBalanceLocal string `json:"min_balance_local"`
	CreditsLocal    string `json:"credits_local"`
}

func (s *Server) autoRechargeBody(a billing.AutoRecharge, err error) (autoRechargeBody, error) {
	return autoRechargeBody{AutoRecharge: a, MinBalanceLocal: s.local(a.MinBalance), CreditsLocal: s.local(a.Credits)}, err
}

// rateBody is a rate, its prices also in the local currency.
type rateBody struct {
	billing.Rate
	PricePerMinuteLocal string `json:"price_per_minute_local"`
	ConnectionFeeLocal  string `json:"connection_fee_local"`
}

func (s *Server) rateBody(r billing.Rate) rateBody {
	return rateBody{Rate: r, PricePerMinuteLocal: s.local(r.PricePerMinute), ConnectionFeeLocal: s.local(r.ConnectionFee)}
}

func (s *Server) createRate(ctx context.Context, in billing.RateInput) (rateBody, error) {
	r, err := s.rates.Create(ctx, in)
	return s.rateBody(r), err
}

func (s *Server) getRate(ctx context.Context, id uint) (rateBody, error) {
	r, err := s.rates.Get(ctx, id)
	return s.rateBody(r), err
}

func (s *Server) updateRate(ctx context.Context, id uint, in billing.RateInput) (rateBody, error) {
	r, err := s.rates.Update(ctx, id, in)
	return s.rateBody(r), err
}

func (s *Server) getWallet(w http.ResponseWriter, r *http.Request) {
	bal, err := s.wallet.Balance(r.Context())
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	ar, err := s.wallet.AutoRecharge(r.Context())
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	cfg := s.wallet.Config()
	arBody, _ := s.autoRechargeBody(ar, nil)
	writeJSON(w, http.StatusOK, walletBody{Balance: bal, Currency: cfg.Currency, BalanceLocal: cfg.Rate.Local(bal),
		ExchangeRate: money.Credits(cfg.Rate).String(), AutoRecharge: arBody, PartnerManaged: cfg.PartnerManaged})
}

// act answers a request whose JSON body is In with what fn makes of it,
// and status; an error goes through writeError (422, 402, 404, 409 ...).
func act[In, Out any](s *Server, status int, fn func(r *http.Request, in In) (Out, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var in In
		if err := decode(r, &in); err != nil {
			writeError(w, s.log, err)
			return
		}
		out, err := fn(r, in)
		if err != nil {
			writeError(w, s.log, err)
			return
		}
		writeJSON(w, status, out)
	}
}

// credits reads an amount the API was sent: a decimal string, required.
func credits(field string, v *string) (money.Credits, error) {
	if v == nil {
		return 0, invalid.New(field, "is required: a decimal string of credits, such as \"50\"")
	}
	c, err := money.Parse(*v)
	if err != nil {
		return 0, invalid.New(field, "must be a decimal string of credits with at most 6 decimals, such as \"50\"")
	}
	return c, nil
}

// id reads an id the API was sent, required.
func id(field, from string, v *uint) (uint, error) {
	if v == nil {
		return 0, invalid.New(field, "is required: the id of a quote from "+from)
	}
	return *v, nil
}

type quoteIn struct {
	Credits *string `json:"credits"`
}

func (s *Server) createQuote(r *http.Request, in quoteIn) (billing.Quote, error) {
	c, err := credits("credits", in.Credits)
	if err != nil {
		return billing.Quote{}, err
	}
	return s.wallet.Quote(r.Context(), c, actor(r.Context()))
}

func (s *Server) createPurchase(w http.ResponseWriter, r *http.Request) {
	var in struct {
		QuoteID *uint `json:"quote_id"`
	}
	if err := decode(r, &in); err != nil {
		writeError(w, s.log, err)
		return
	}
	quote, err := id("quote_id", "POST /api/v1/wallet/quotes", in.QuoteID)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	p, err := s.wallet.Buy(r.Context(), quote, actor(r.Context()))
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	status := http.StatusCreated
	if p.Status == billing.PurchaseFailed {
		status = http.StatusPaymentRequired
	}
	writeJSON(w, status, p)
}

func (s *Server) listPurchases(w http.ResponseWriter, r *http.Request) {
	list, err := s.wallet.Purchases(r.Context(), 0)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"purchases": list})
}

type autoRechargeIn struct {
	Enabled    *bool   `json:"enabled"`
	MinBalance *string `json:"min_balance"`
	Credits    *string `json:"credits"`
}

func (s *Server) setAutoRecharge(r *http.Request, in autoRechargeIn) (autoRechargeBody, error) {
	v := &invalid.Error{}
	var a billing.AutoRecharge
	if in.Enabled == nil {
		v.Add("enabled", "is required")
	} else {
		a.Enabled = *in.Enabled
	}
	for _, f := range []struct {
		name string
		in   *string
		out  *money.Credits
	}{{"min_balance", in.MinBalance, &a.MinBalance}, {"credits", in.Credits, &a.Credits}} {
		if f.in == nil && !a.Enabled {
			continue // off: the amounts may be left out
		}
		c, err := credits(f.name, f.in)
		var inv *invalid.Error
		if errors.As(err, &inv) {
			v.Fields = append(v.Fields, inv.Fields...)
		}
		*f.out = c
	}
	if err := v.Err(); err != nil {
		return autoRechargeBody{AutoRecharge: a}, err
	}
	return s.autoRechargeBody(s.wallet.SetAutoRecharge(r.Context(), a))
}

func (s *Server) checkWallet(w http.ResponseWriter, r *http.Request) {
	a, err := s.wallet.Check(r.Context())
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

func (s *Server) listRates(w http.ResponseWriter, r *http.Request) {
	list, err := s.rates.List(r.Context())
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	out := make([]rateBody, len(list))
	for i, rate := range list {
		out[i] = s.rateBody(rate)
	}
	writeJSON(w, http.StatusOK, map[string]any{"rates": out})
}

func (s *Server) exportRates(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="rates.csv"`)
	if err := s.rates.WriteCSV(r.Context(), w); err != nil {
		s.log.Error("export rates", "error", err)
	}
}

// maxRatesCSV bounds an uploaded rates file.
const maxRatesCSV = 16 << 20

func (s *Server) importRates(w http.ResponseWriter, r *http.Request) {
	n, err := s.rates.ImportCSV(r.Context(), io.LimitReader(http.MaxBytesReader(w, r.Body, maxRatesCSV), maxRatesCSV))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		writeError(w, s.log, invalid.New("file", "is larger than 16 MiB"))
		return
	}
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"imported": n})
}

func (s *Server) walletUsage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	period := q.Get("period")
	if period == "" {
		period = billing.ThisMonth
	}
	u, err := s.wallet.Usage(r.Context(), period, q.Get("from"), q.Get("to"))
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, u)
}

// local is c in the organisation's currency, "" when billing is not served.
func (s *Server) local(c money.Credits) string {
	if s.wallet == nil {
		return ""
	}
	return s.wallet.Config().Rate.Local(c)
}

// offerBody is a quote for a number or a plan, its amounts also in the
// local currency.
type offerBody struct {
	billing.Offer
	Currency          string `json:"currency"`
	MonthlyPriceLocal string `json:"monthly_price_local"`
	FirstChargeLocal  string `json:"first_charge_local"`
}

func (s *Server) offerBody(o billing.Offer, err error) (offerBody, error) {
	b := offerBody{Offer: o, MonthlyPriceLocal: s.local(o.MonthlyPrice), FirstChargeLocal: s.local(o.FirstCharge)}
	if s.wallet != nil {
		b.Currency = s.wallet.Config().Currency
	}
	return b, err
}

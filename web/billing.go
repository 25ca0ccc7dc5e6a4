package web

import (
	"context"
	"errors"
	"io"
	"net/http"

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

// actor names who made a request, for the purchase history.
func actor(ctx context.Context) string {
	if p := principalFrom(ctx); p.session != nil {
		return "admin (signed in)"
	}
	return "API token"
}

type walletBody struct {
	Balance        money.Credits        `json:"balance"`
	Currency       string               `json:"currency"`
	BalanceLocal   string               `json:"balance_local"`
	ExchangeRate   string               `json:"exchange_rate"`
	AutoRecharge   billing.AutoRecharge `json:"auto_recharge"`
	PartnerManaged bool                 `json:"partner_managed"`
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
	writeJSON(w, http.StatusOK, walletBody{Balance: bal, Currency: cfg.Currency, BalanceLocal: cfg.Rate.Local(bal),
		ExchangeRate: money.Credits(cfg.Rate).String(), AutoRecharge: ar, PartnerManaged: cfg.PartnerManaged})
}

func (s *Server) createQuote(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Credits *string `json:"credits"`
	}
	if err := decode(r, &in); err != nil {
		writeError(w, s.log, err)
		return
	}
	if in.Credits == nil {
		writeError(w, s.log, invalid.New("credits", "is required: a decimal string of credits, such as \"50\""))
		return
	}
	c, err := money.Parse(*in.Credits)
	if err != nil {
		writeError(w, s.log, invalid.New("credits", "must be a decimal string of credits with at most 6 decimals, such as \"50\""))
		return
	}
	q, err := s.wallet.Quote(r.Context(), c, actor(r.Context()))
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	writeJSON(w, http.StatusCreated, q)
}

func (s *Server) createPurchase(w http.ResponseWriter, r *http.Request) {
	var in struct {
		QuoteID *uint `json:"quote_id"`
	}
	if err := decode(r, &in); err != nil {
		writeError(w, s.log, err)
		return
	}
	if in.QuoteID == nil {
		writeError(w, s.log, invalid.New("quote_id", "is required: the id of a quote from POST /api/v1/wallet/quotes"))
		return
	}
	p, err := s.wallet.Buy(r.Context(), *in.QuoteID, actor(r.Context()))
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

func (s *Server) setAutoRecharge(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Enabled    *bool   `json:"enabled"`
		MinBalance *string `json:"min_balance"`
		Credits    *string `json:"credits"`
	}
	if err := decode(r, &in); err != nil {
		writeError(w, s.log, err)
		return
	}
	v := &invalid.Error{}
	var a billing.AutoRecharge
	if in.Enabled == nil {
		v.Add("enabled", "is required")
	} else {
		a.Enabled = *in.Enabled
	}
	amount := func(field string, p *string, into *money.Credits) {
		if p == nil {
			if a.Enabled {
				v.Add(field, "is required")
			}
			return
		}
		c, err := money.Parse(*p)
		if err != nil {
			v.Add(field, "must be a decimal string of credits with at most 6 decimals")
		}
		*into = c
	}
	amount("min_balance", in.MinBalance, &a.MinBalance)
	amount("credits", in.Credits, &a.Credits)
	if err := v.Err(); err != nil {
		writeError(w, s.log, err)
		return
	}
	a, err := s.wallet.SetAutoRecharge(r.Context(), a)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
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
	writeJSON(w, http.StatusOK, map[string]any{"rates": list})
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

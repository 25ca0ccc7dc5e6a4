package web

import (
	"context"
	"io"
	"net/http"

	"pbx/billing"
	"pbx/invalid"
	"pbx/routing"
)

// WithNumberStore sells numbers from the inventory and stops their monthly
// charge when they are deleted.
func WithNumberStore(subs *billing.Subscriptions) Option { return func(s *Server) { s.subs = subs } }

// deleteNumber deletes a number and, when it was bought from the
// inventory, ends its monthly charge and offers it again.
func (s *Server) deleteNumber(ctx context.Context, id uint) error {
	n, err := s.dir.Number(ctx, id)
	if err != nil {
		return err
	}
	if err := s.dir.DeleteNumber(ctx, id); err != nil {
		return err
	}
	if s.subs == nil {
		return nil
	}
	// The number is gone; if this fails, the monthly job ends the charge
	// of a number no longer owned.
	if err := s.subs.ReleaseNumber(ctx, n.E164); err != nil {
		s.log.Error("end the monthly charge of a deleted number", "number", n.E164, "error", err)
	}
	return nil
}

func (s *Server) listAvailable(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	list, err := s.subs.SearchAvailable(r.Context(), q.Get("country"), q.Get("type"), q.Get("region"))
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	type availableBody struct {
		billing.Available
		MonthlyPriceLocal string `json:"monthly_price_local"`
	}
	out := make([]availableBody, len(list))
	for i, a := range list {
		out[i] = availableBody{Available: a, MonthlyPriceLocal: s.local(a.MonthlyPrice)}
	}
	writeJSON(w, http.StatusOK, map[string]any{"numbers": out})
}

type availableIn struct {
	Numbers []billing.AvailableInput `json:"numbers"`
}

func (s *Server) addAvailable(r *http.Request, in availableIn) (map[string]int, error) {
	n, err := s.subs.AddAvailable(r.Context(), in.Numbers)
	return map[string]int{"added": n}, err
}

func (s *Server) importAvailable(w http.ResponseWriter, r *http.Request) {
	n, err := s.subs.ImportAvailableCSV(r.Context(), io.LimitReader(http.MaxBytesReader(w, r.Body, maxRatesCSV), maxRatesCSV))
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"added": n})
}

type numberQuoteIn struct {
	E164    string `json:"e164"`
	Address string `json:"address"`
}

func (s *Server) quoteNumber(r *http.Request, in numberQuoteIn) (offerBody, error) {
	return s.offerBody(s.subs.QuoteNumber(r.Context(), in.E164, in.Address))
}

type offerIn struct {
	OfferID *uint `json:"offer_id"`
}

type boughtNumber struct {
	Number       routing.Number   `json:"number"`
	Subscription subscriptionBody `json:"subscription"`
}

// subscriptionBody is a monthly charge, its price also local.
type subscriptionBody struct {
	billing.Subscription
	MonthlyPriceLocal string `json:"monthly_price_local"`
}

func (s *Server) buyNumber(r *http.Request, in offerIn) (boughtNumber, error) {
	offer, err := id("offer_id", "POST /api/v1/numbers/quotes", in.OfferID)
	if err != nil {
		return boughtNumber{}, err
	}
	var out boughtNumber
	create := func(ctx context.Context, n billing.NewNumber) error {
		trunk := n.TrunkID
		var err error
		out.Number, err = s.dir.CreateNumber(ctx, routing.NumberInput{E164: &n.E164, Type: &n.Type, Country: &n.Country,
			Region: &n.Region, Address: &n.Address, TrunkID: routing.Link{Set: true, ID: &trunk}})
		return err
	}
	sub, err := s.subs.BuyNumber(r.Context(), offer, actor(r.Context()), create)
	out.Subscription = subscriptionBody{Subscription: sub, MonthlyPriceLocal: s.local(sub.MonthlyPrice)}
	return out, err
}

// WithStorage serves the recording storage plan, its quota and auto-delete.
func WithStorage(st *billing.Storage) Option { return func(s *Server) { s.storage = st } }

// storageBody is the storage state, the plans' prices also local.
type storageBody struct {
	billing.StorageState
	Plans []planBody `json:"plans"`
}

type planBody struct {
	billing.Plan
	MonthlyPriceLocal string `json:"monthly_price_local"`
}

func (s *Server) storageBody(st billing.StorageState, err error) (storageBody, error) {
	b := storageBody{StorageState: st, Plans: make([]planBody, len(st.Plans))}
	for i, p := range st.Plans {
		b.Plans[i] = planBody{Plan: p, MonthlyPriceLocal: s.local(p.MonthlyPrice)}
	}
	return b, err
}

func (s *Server) getStorage(w http.ResponseWriter, r *http.Request) {
	st, err := s.storageBody(s.storage.State(r.Context()))
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

type storageIn struct {
	AutoDeleteMonths *int `json:"auto_delete_months"`
}

func (s *Server) putStorage(r *http.Request, in storageIn) (storageBody, error) {
	if in.AutoDeleteMonths == nil {
		return storageBody{}, invalid.New("auto_delete_months", "is required: 0 (keep), 3 or 6; the plan changes by quote and purchase")
	}
	return s.storageBody(s.storage.SetAutoDelete(r.Context(), *in.AutoDeleteMonths))
}

type planIn struct {
	Plan string `json:"plan"`
}

func (s *Server) quoteStorage(r *http.Request, in planIn) (offerBody, error) {
	return s.offerBody(s.storage.QuotePlan(r.Context(), in.Plan))
}

func (s *Server) buyStorage(r *http.Request, in offerIn) (storageBody, error) {
	offer, err := id("offer_id", "POST /api/v1/storage/quotes", in.OfferID)
	if err != nil {
		return storageBody{}, err
	}
	return s.storageBody(s.storage.BuyPlan(r.Context(), offer, actor(r.Context())))
}

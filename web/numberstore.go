package web

import (
	"context"
	"errors"
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
	writeJSON(w, http.StatusOK, map[string]any{"numbers": list})
}

func (s *Server) addAvailable(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Numbers []billing.AvailableInput `json:"numbers"`
	}
	if err := decode(r, &in); err != nil {
		writeError(w, s.log, err)
		return
	}
	n, err := s.subs.AddAvailable(r.Context(), in.Numbers)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"added": n})
}

func (s *Server) importAvailable(w http.ResponseWriter, r *http.Request) {
	n, err := s.subs.ImportAvailableCSV(r.Context(), io.LimitReader(http.MaxBytesReader(w, r.Body, maxRatesCSV), maxRatesCSV))
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"added": n})
}

func (s *Server) quoteNumber(w http.ResponseWriter, r *http.Request) {
	var in struct {
		E164    string `json:"e164"`
		Address string `json:"address"`
	}
	if err := decode(r, &in); err != nil {
		writeError(w, s.log, err)
		return
	}
	o, err := s.subs.QuoteNumber(r.Context(), in.E164, in.Address)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	writeJSON(w, http.StatusCreated, o)
}

func (s *Server) buyNumber(w http.ResponseWriter, r *http.Request) {
	var in struct {
		OfferID *uint `json:"offer_id"`
	}
	if err := decode(r, &in); err != nil {
		writeError(w, s.log, err)
		return
	}
	if in.OfferID == nil {
		writeError(w, s.log, invalid.New("offer_id", "is required: the id of a quote from POST /api/v1/numbers/quotes"))
		return
	}
	var bought routing.Number
	create := func(ctx context.Context, n billing.NewNumber) error {
		trunk := n.TrunkID
		var err error
		bought, err = s.dir.CreateNumber(ctx, routing.NumberInput{E164: &n.E164, Type: &n.Type, Country: &n.Country,
			Region: &n.Region, Address: &n.Address, TrunkID: routing.Link{Set: true, ID: &trunk}})
		return err
	}
	sub, err := s.subs.BuyNumber(r.Context(), *in.OfferID, actor(r.Context()), create)
	if errors.Is(err, billing.ErrInsufficientCredit) {
		writeJSON(w, http.StatusPaymentRequired, errorBody{Error: "insufficient credit: buy credits, then try again"})
		return
	}
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"number": bought, "subscription": sub})
}

// WithStorage serves the recording storage plan, its quota and auto-delete.
func WithStorage(st *billing.Storage) Option { return func(s *Server) { s.storage = st } }

func (s *Server) getStorage(w http.ResponseWriter, r *http.Request) {
	st, err := s.storage.State(r.Context())
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) putStorage(w http.ResponseWriter, r *http.Request) {
	var in struct {
		AutoDeleteMonths *int `json:"auto_delete_months"`
	}
	if err := decode(r, &in); err != nil {
		writeError(w, s.log, err)
		return
	}
	if in.AutoDeleteMonths == nil {
		writeError(w, s.log, invalid.New("auto_delete_months", "is required: 0 (keep), 3 or 6; the plan changes by quote and purchase"))
		return
	}
	st, err := s.storage.SetAutoDelete(r.Context(), *in.AutoDeleteMonths)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) quoteStorage(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Plan string `json:"plan"`
	}
	if err := decode(r, &in); err != nil {
		writeError(w, s.log, err)
		return
	}
	o, err := s.storage.QuotePlan(r.Context(), in.Plan)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	writeJSON(w, http.StatusCreated, o)
}

func (s *Server) buyStorage(w http.ResponseWriter, r *http.Request) {
	var in struct {
		OfferID *uint `json:"offer_id"`
	}
	if err := decode(r, &in); err != nil {
		writeError(w, s.log, err)
		return
	}
	if in.OfferID == nil {
		writeError(w, s.log, invalid.New("offer_id", "is required: the id of a quote from POST /api/v1/storage/quotes"))
		return
	}
	st, err := s.storage.BuyPlan(r.Context(), *in.OfferID, actor(r.Context()))
	if errors.Is(err, billing.ErrInsufficientCredit) {
		writeJSON(w, http.StatusPaymentRequired, errorBody{Error: "insufficient credit: buy credits, then try again"})
		return
	}
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	writeJSON(w, http.StatusCreated, st)
}

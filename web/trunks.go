package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"pbx/sip"
)

// Trunks is the carrier trunk store as the API uses it.
type Trunks interface {
	List(ctx context.Context) ([]sip.Trunk, error)
	Get(ctx context.Context, id uint) (sip.Trunk, error)
	Create(ctx context.Context, in sip.TrunkInput) (sip.Trunk, error)
	Update(ctx context.Context, id uint, in sip.TrunkInput) (sip.Trunk, error)
	Delete(ctx context.Context, id uint) error
}

// Option adds an optional part to the Server.
type Option func(*Server)

// WithTrunks serves /api/v1/trunks from t.
func WithTrunks(t Trunks) Option { return func(s *Server) { s.trunks = t } }

// trunkError maps the trunk store's not-found onto the API's.
func (s *Server) trunkError(w http.ResponseWriter, err error) {
	if errors.Is(err, sip.ErrNotFound) {
		writeJSON(w, http.StatusNotFound, errorBody{Error: err.Error()})
		return
	}
	writeError(w, s.log, err)
}

func (s *Server) listTrunks(w http.ResponseWriter, r *http.Request) {
	all, err := s.trunks.List(r.Context())
	if err != nil {
		s.trunkError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"trunks": all})
}

func (s *Server) getTrunk(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	t, err := s.trunks.Get(r.Context(), id)
	if err != nil {
		s.trunkError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, t)
}

func (s *Server) createTrunk(w http.ResponseWriter, r *http.Request) {
	var in sip.TrunkInput
	if err := decode(r, &in); err != nil {
		writeError(w, s.log, err)
		return
	}
	t, err := s.trunks.Create(r.Context(), in)
	if err != nil {
		s.trunkError(w, err)
		return
	}
	w.Header().Set("Location", "/api/v1/trunks/"+strconv.FormatUint(uint64(t.ID), 10))
	writeJSON(w, http.StatusCreated, t)
}

func (s *Server) updateTrunk(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	var in sip.TrunkInput
	if err := decode(r, &in); err != nil {
		writeError(w, s.log, err)
		return
	}
	t, err := s.trunks.Update(r.Context(), id, in)
	if err != nil {
		s.trunkError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, t)
}

func (s *Server) deleteTrunk(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	if err := s.trunks.Delete(r.Context(), id); err != nil {
		s.trunkError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

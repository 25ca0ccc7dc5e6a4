package web

import (
	"context"
	"net/http"

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

func (s *Server) listTrunks(w http.ResponseWriter, r *http.Request) {
	all, err := s.trunks.List(r.Context())
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"trunks": all})
}

package web

import (
	"net/http"
	"time"

	"pbx/sip"
)

// Registrations is the live location service as the API reads it.
type Registrations interface {
	All() []sip.Binding
}

type registrationView struct {
	sip.Binding
	ExpiresIn int `json:"expires_in"`
}

func (s *Server) listRegistrations(w http.ResponseWriter, r *http.Request) {
	all := s.regs.All()
	user := r.URL.Query().Get("user")
	now := s.now()
	out := make([]registrationView, 0, len(all))
	for _, b := range all {
		if user != "" && b.AOR != user {
			continue
		}
		out = append(out, registrationView{Binding: b, ExpiresIn: int(b.Expires.Sub(now) / time.Second)})
	}
	writeJSON(w, http.StatusOK, map[string]any{"registrations": out})
}

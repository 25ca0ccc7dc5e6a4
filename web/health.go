package web

import "net/http"

// WithHealth makes /healthz answer 503 while check returns an error, so that
// a supervisor restarts a process whose SIP edge stopped serving.
func WithHealth(check func() error) Option {
	return func(s *Server) { s.health = append(s.health, check) }
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	for _, check := range s.health {
		if err := check(); err != nil {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "error": err.Error()})
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

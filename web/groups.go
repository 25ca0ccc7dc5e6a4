package web

import (
	"net/http"
)

func (s *Server) listGroups(w http.ResponseWriter, r *http.Request) {
	groups, err := s.dir.ListGroups(r.Context())
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"groups": groups})
}

package web

import (
	"net/http"
	"strconv"

	"pbx/invalid"
	"pbx/routing"
)

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) {
	var f routing.UserFilter
	if g := r.URL.Query().Get("group_id"); g != "" {
		n, err := strconv.ParseUint(g, 10, 32)
		if err != nil {
			writeError(w, s.log, invalid.New("group_id", "must be a group id"))
			return
		}
		f.GroupID = uint(n)
	}
	users, err := s.dir.ListUsers(r.Context(), f)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": users})
}

package web

import (
	"net/http"
	"strconv"

	"pbx/invalid"
	"pbx/routing"
)

// listNumbers filters by ?flow_id= (an id, or "none" for numbers that
// answer no flow) and ?type=.
func (s *Server) listNumbers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := routing.NumberFilter{Type: q.Get("type")}
	switch flow := q.Get("flow_id"); flow {
	case "":
	case "none":
		f.NoFlow = true
	default:
		id, err := strconv.ParseUint(flow, 10, 32)
		if err != nil || id == 0 {
			writeError(w, s.log, invalid.New("flow_id", `must be a flow's id or "none"`))
			return
		}
		f.FlowID = uint(id)
	}
	numbers, err := s.dir.ListNumbers(r.Context(), f)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"numbers": numbers})
}

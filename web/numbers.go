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

func (s *Server) getNumber(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	n, err := s.dir.Number(r.Context(), id)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, n)
}

func (s *Server) createNumber(w http.ResponseWriter, r *http.Request) {
	var in routing.NumberInput
	if err := decode(r, &in); err != nil {
		writeError(w, s.log, err)
		return
	}
	n, err := s.dir.CreateNumber(r.Context(), in)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	w.Header().Set("Location", "/api/v1/numbers/"+strconv.FormatUint(uint64(n.ID), 10))
	writeJSON(w, http.StatusCreated, n)
}

func (s *Server) updateNumber(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	var in routing.NumberInput
	if err := decode(r, &in); err != nil {
		writeError(w, s.log, err)
		return
	}
	n, err := s.dir.UpdateNumber(r.Context(), id, in)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, n)
}

func (s *Server) deleteNumber(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	if err := s.dir.DeleteNumber(r.Context(), id); err != nil {
		writeError(w, s.log, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

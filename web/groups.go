package web

import (
	"net/http"
	"strconv"

	"pbx/routing"
)

func (s *Server) listGroups(w http.ResponseWriter, r *http.Request) {
	groups, err := s.dir.ListGroups(r.Context())
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"groups": groups})
}

func (s *Server) getGroup(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	g, err := s.dir.Group(r.Context(), id)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, g)
}

func (s *Server) createGroup(w http.ResponseWriter, r *http.Request) {
	var in routing.GroupInput
	if err := decode(r, &in); err != nil {
		writeError(w, s.log, err)
		return
	}
	g, err := s.dir.CreateGroup(r.Context(), in)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	w.Header().Set("Location", "/api/v1/groups/"+strconv.FormatUint(uint64(g.ID), 10))
	writeJSON(w, http.StatusCreated, g)
}

func (s *Server) updateGroup(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	var in routing.GroupInput
	if err := decode(r, &in); err != nil {
		writeError(w, s.log, err)
		return
	}
	g, err := s.dir.UpdateGroup(r.Context(), id, in)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, g)
}

func (s *Server) deleteGroup(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	if err := s.dir.DeleteGroup(r.Context(), id); err != nil {
		writeError(w, s.log, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

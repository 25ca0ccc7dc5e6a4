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

func (s *Server) getUser(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	u, err := s.dir.User(r.Context(), id)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, u)
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request) {
	var in routing.UserInput
	if err := decode(r, &in); err != nil {
		writeError(w, s.log, err)
		return
	}
	u, err := s.dir.CreateUser(r.Context(), in)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	w.Header().Set("Location", "/api/v1/users/"+strconv.FormatUint(uint64(u.ID), 10))
	writeJSON(w, http.StatusCreated, u)
}

func (s *Server) updateUser(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	var in routing.UserInput
	if err := decode(r, &in); err != nil {
		writeError(w, s.log, err)
		return
	}
	u, err := s.dir.UpdateUser(r.Context(), id, in)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, u)
}

func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	if err := s.dir.DeleteUser(r.Context(), id); err != nil {
		writeError(w, s.log, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

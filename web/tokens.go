package web

import (
	"errors"
	"net/http"
	"strconv"
)

type tokenInput struct {
	Name string `json:"name"`
}

type createdToken struct {
	APIToken
	Token string `json:"token"` // shown once
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) {
	ts, err := s.creds.Tokens(r.Context())
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"tokens": ts})
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request) {
	var in tokenInput
	if err := decode(r, &in); err != nil {
		writeError(w, s.log, err)
		return
	}
	t, secret, err := s.creds.CreateToken(r.Context(), in.Name)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	s.log.Info("api token created", "token_id", t.ID, "name", t.Name)
	w.Header().Set("Location", "/api/v1/tokens/"+strconv.FormatUint(uint64(t.ID), 10))
	writeJSON(w, http.StatusCreated, createdToken{APIToken: t, Token: secret})
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	if err := s.creds.RevokeToken(r.Context(), id); err != nil {
		if errors.Is(err, ErrNoToken) {
			writeJSON(w, http.StatusNotFound, errorBody{Error: "no such token"})
			return
		}
		writeError(w, s.log, err)
		return
	}
	s.log.Info("api token revoked", "token_id", id)
	w.WriteHeader(http.StatusNoContent)
}

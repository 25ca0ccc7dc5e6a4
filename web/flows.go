package web

import (
	"net/http"

	"pbx/invalid"
)

func (s *Server) listFlows(w http.ResponseWriter, r *http.Request) {
	flows, err := s.dir.ListFlows(r.Context())
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"flows": flows})
}

func (s *Server) getFlowDraft(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	f, err := s.dir.Flow(r.Context(), id)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, f.Draft)
}

func (s *Server) setFlowEnabled(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	var in struct {
		Enabled *bool `json:"enabled"`
	}
	if err := decode(r, &in); err != nil {
		writeError(w, s.log, err)
		return
	}
	if in.Enabled == nil {
		writeError(w, s.log, invalid.New("enabled", "is required: true or false"))
		return
	}
	f, err := s.dir.SetFlowEnabled(r.Context(), id, *in.Enabled)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, f)
}

func (s *Server) listFlowVersions(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	versions, err := s.dir.FlowVersions(r.Context(), id)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"versions": versions})
}

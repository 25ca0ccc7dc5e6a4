package web

import (
	"net/http"
	"strconv"

	"pbx/invalid"
	"pbx/routing"
)

func (s *Server) listFlows(w http.ResponseWriter, r *http.Request) {
	flows, err := s.dir.ListFlows(r.Context())
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"flows": flows})
}

func (s *Server) getFlow(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	f, err := s.dir.Flow(r.Context(), id)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, f)
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

func (s *Server) createFlow(w http.ResponseWriter, r *http.Request) {
	var doc routing.Document
	if err := decode(r, &doc); err != nil {
		writeError(w, s.log, err)
		return
	}
	f, err := s.dir.CreateFlow(r.Context(), doc)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	w.Header().Set("Location", "/api/v1/flows/"+strconv.FormatUint(uint64(f.ID), 10))
	writeJSON(w, http.StatusCreated, f)
}

// saveFlowDraft answers PUT /flows/{id} and PUT /flows/{id}/draft alike.
func (s *Server) saveFlowDraft(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	var doc routing.Document
	if err := decode(r, &doc); err != nil {
		writeError(w, s.log, err)
		return
	}
	f, err := s.dir.SaveFlowDraft(r.Context(), id, doc)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, f)
}

func (s *Server) publishFlow(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	f, err := s.dir.PublishFlow(r.Context(), id)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, f)
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

func (s *Server) deleteFlow(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	if err := s.dir.DeleteFlow(r.Context(), id); err != nil {
		writeError(w, s.log, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

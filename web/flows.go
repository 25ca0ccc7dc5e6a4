package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"

	"pbx/invalid"
	"pbx/routing"
	"pbx/sip"
)

// simulateFlow takes one step of a call through a flow. Routing says how
// the simulated call ends (refused, and why, or answered); the answer a
// real caller would get comes from sip's table, the same one that answers
// real calls, so the builder shows what carriers and phones would see.
func (s *Server) simulateFlow(ctx context.Context, id uint, in routing.Simulation) (routing.SimStep, error) {
	step, err := s.dir.SimulateFlow(ctx, id, in)
	if err == nil && step.End != nil {
		step.End.Answer(sip.FinalStatus(step.End.Refused))
	}
	return step, err
}

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

// flowFields are the members of a flow document; PUT must send them all.
var flowFields = []string{"name", "description", "numbers", "states", "connections"}

// putFlowDraft answers PUT /api/v1/flows/{id} (and /draft): the body is the
// whole new draft. A member left out is refused rather than taken as empty,
// so that a client sending only a name does not wipe the flow: a partial
// change is a PATCH.
func (s *Server) putFlowDraft(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		writeError(w, s.log, invalid.New("body", "could not be read"))
		return
	}
	var members map[string]json.RawMessage
	if err := decodeJSON(bytes.NewReader(body), &members); err != nil {
		if json.Unmarshal(body, &members) != nil { // not an object at all
			err = invalid.New("body", "must be a JSON object holding the whole flow document")
		}
		writeError(w, s.log, err)
		return
	}
	var v invalid.Error
	for _, f := range flowFields {
		if _, ok := members[f]; !ok {
			v.Add(f, "is required: PUT replaces the whole document (send PATCH to change part of it)")
		}
	}
	var doc routing.Document
	if err := v.Err(); err != nil {
		// Report unknown members too, as the full decode below would.
		if derr := decodeJSON(bytes.NewReader(body), &doc); derr != nil {
			var inv *invalid.Error
			if errors.As(derr, &inv) {
				v.Fields = append(v.Fields, inv.Fields...)
			}
		}
		writeError(w, s.log, &v)
		return
	}
	if err := decodeJSON(bytes.NewReader(body), &doc); err != nil {
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

// patchFlowDraft answers PATCH /api/v1/flows/{id} (and /draft) with a JSON
// merge patch (RFC 7396) of the draft: members sent replace the draft's,
// objects merge member by member, arrays are replaced whole, and null
// removes a member (an empty value: a draft that needs it fails validation).
func (s *Server) patchFlowDraft(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, _ := mime.ParseMediaType(ct)
		if mt != "application/merge-patch+json" && mt != "application/json" {
			w.Header().Set("Accept-Patch", "application/merge-patch+json")
			writeJSON(w, http.StatusUnsupportedMediaType, errorBody{Error: "send the patch as application/merge-patch+json (RFC 7396)"})
			return
		}
	}
	var patch map[string]any
	if err := decodeJSONValue(io.LimitReader(r.Body, maxBody), &patch); err != nil {
		writeError(w, s.log, err)
		return
	}
	f, err := s.dir.EditFlowDraft(r.Context(), id, func(draft routing.Document) (routing.Document, error) {
		b, err := json.Marshal(draft)
		if err != nil {
			return routing.Document{}, err
		}
		var target any
		if err := decodeJSONValue(bytes.NewReader(b), &target); err != nil {
			return routing.Document{}, err
		}
		merged, err := json.Marshal(mergePatch(target, patch))
		if err != nil {
			return routing.Document{}, err
		}
		var doc routing.Document
		return doc, decodeJSON(bytes.NewReader(merged), &doc)
	})
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, f)
}

// decodeJSONValue reads one JSON value keeping numbers exact.
func decodeJSONValue(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return invalid.New("body", "is empty; send a JSON merge patch object")
		}
		return invalid.New("body", "must be a JSON object (a JSON merge patch, RFC 7396)")
	}
	if dec.More() {
		return invalid.New("body", "must hold a single JSON object")
	}
	return nil
}

// mergePatch applies the JSON merge patch patch to target (RFC 7396,
// section 2).
func mergePatch(target, patch any) any {
	p, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	t, ok := target.(map[string]any)
	if !ok {
		t = map[string]any{}
	}
	for k, v := range p {
		if v == nil {
			delete(t, k)
			continue
		}
		t[k] = mergePatch(t[k], v)
	}
	return t
}

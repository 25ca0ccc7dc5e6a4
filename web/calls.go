package web

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"pbx/invalid"
	"pbx/routing"
)

// WithHistory serves the call history from h. Without it the server reads
// the call records from its own database.
func WithHistory(h *routing.History) Option { return func(s *Server) { s.calls = h } }

// WithRecordings serves call recordings and voicemail from dir, where the
// call engine writes them.
func WithRecordings(dir string) Option { return func(s *Server) { s.recordings = dir } }

// streamRecording answers GET /api/v1/calls/{id}/recording: the call's
// recording (or the voicemail left) as audio/wav, with Range support so a
// browser's player can seek.
func (s *Server) streamRecording(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	rec, err := s.calls.Call(r.Context(), id)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	if rec.Recording == "" || s.recordings == "" || !filepath.IsLocal(rec.Recording) {
		writeJSON(w, http.StatusNotFound, errorBody{Error: "this call has no recording"})
		return
	}
	f, err := os.Open(filepath.Join(s.recordings, rec.Recording))
	if errors.Is(err, fs.ErrNotExist) {
		writeJSON(w, http.StatusNotFound, errorBody{Error: "the recording's file is gone"})
		return
	}
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	w.Header().Set("Content-Type", "audio/wav")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`inline; filename="call-%d.wav"`, rec.ID))
	w.Header().Set("Cache-Control", "private, no-store")
	http.ServeContent(w, r, "", st.ModTime(), f)
}

// listCalls answers GET /api/v1/calls: the records the filters select,
// newest first, one page at a time.
func (s *Server) listCalls(w http.ResponseWriter, r *http.Request) {
	f, err := callFilter(r, true)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	calls, total, err := s.calls.List(r.Context(), f)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	out := make([]callBody, len(calls))
	for i, c := range calls {
		out[i] = s.callBody(c)
	}
	writeJSON(w, http.StatusOK, map[string]any{"calls": out, "total": total})
}

// exportCalls answers GET /api/v1/calls.csv: every record the filters
// select, streamed as a CSV download.
func (s *Server) exportCalls(w http.ResponseWriter, r *http.Request) {
	f, err := callFilter(r, false)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="calls.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	if err := s.calls.WriteCSV(r.Context(), w, f); err != nil && r.Context().Err() == nil {
		// The status is sent; a cut-off file is all the client can see.
		s.log.Error("export calls", "error", err)
	}
}

// callFilter reads ?owner= ?type= ?voicemail= ?from= ?to= and, when paged, ?limit= and
// ?offset=. from and to are RFC 3339 date-times or dates (YYYY-MM-DD, UTC);
// from is inclusive, a to date-time exclusive, and a to date includes that
// whole day. Every bad parameter is reported at once.
func callFilter(r *http.Request, paged bool) (routing.CallFilter, error) {
	q := r.URL.Query()
	var f routing.CallFilter
	var v invalid.Error
	if s := q.Get("owner"); s != "" {
		n, err := strconv.ParseUint(s, 10, 32)
		if err != nil || n == 0 {
			v.Add("owner", "must be a user's id")
		}
		f.Owner = uint(n)
	}
	if s := q.Get("type"); s != "" {
		if !routing.IsCallType(s) {
			v.Add("type", "must be incoming, outgoing or missed")
		}
		f.Type = s
	}
	if s := q.Get("voicemail"); s != "" {
		vm, err := strconv.ParseBool(s)
		if err != nil {
			v.Add("voicemail", "must be true or false")
		}
		f.Voicemail = &vm
	}
	var ok bool
	if f.From, _, ok = parseWhen(q.Get("from")); !ok {
		v.Add("from", "must be a date (2025-03-01) or an RFC 3339 date-time (2025-03-01T09:00:00Z)")
	}
	to, isDate, ok := parseWhen(q.Get("to"))
	if !ok {
		v.Add("to", "must be a date (2025-03-31) or an RFC 3339 date-time (2025-03-31T18:00:00Z)")
	}
	if isDate {
		to = to.AddDate(0, 0, 1)
	}
	f.To = to
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		v.Add("to", "must be after from")
	}
	if paged {
		f.Limit = routing.DefaultCallLimit
		if s := q.Get("limit"); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 || n > routing.MaxCallLimit {
				v.Add("limit", "must be 1 to "+strconv.Itoa(routing.MaxCallLimit))
			}
			f.Limit = n
		}
		if s := q.Get("offset"); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 {
				v.Add("offset", "must be 0 or more")
			}
			f.Offset = n
		}
	}
	return f, v.Err()
}

// parseWhen reads a date or an RFC 3339 date-time; "" is the zero time.
func parseWhen(s string) (t time.Time, isDate, ok bool) {
	if s == "" {
		return time.Time{}, false, true
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, true, true
	}
	t, err := time.Parse(time.RFC3339, s)
	return t, false, err == nil
}

// callBody is a call record as the API serves it: what it cost also in the
// local currency.
type callBody struct {
	routing.CallRecord
	CreditsChargedLocal string `json:"credits_charged_local,omitempty"`
}

func (s *Server) callBody(c routing.CallRecord) callBody {
	return callBody{CallRecord: c, CreditsChargedLocal: s.local(c.CreditsCharged)}
}

// call answers GET /api/v1/calls/{id}.
func (s *Server) call(ctx context.Context, id uint) (callBody, error) {
	c, err := s.calls.Call(ctx, id)
	return s.callBody(c), err
}

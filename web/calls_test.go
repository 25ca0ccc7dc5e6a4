package web

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"testing"
	"time"

	"pbx/routing"
)

// seedCalls stores five calls on 2025-03-01 and 2025-03-02 (UTC):
//
//	c1 03-01 09:00 incoming, owner 1     c2 03-01 23:30 missed, a voicemail left
//	c3 03-02 00:00 outgoing, owner 2     c4 03-02 12:00 incoming, owner 2
//	c5 03-02 23:59 missed, from a caller who sent a formula
func seedCalls(t *testing.T, s *Server) {
	t.Helper()
	at := func(day, h, m int) time.Time { return time.Date(2025, 3, day, h, m, 0, 0, time.UTC) }
	recs := []routing.CallRecord{
		{CallID: "c1", Type: routing.CallIncoming, OwnerUserID: ptr(uint(1)), StartedAt: at(1, 9, 0)},
		{CallID: "c2", Type: routing.CallMissed, Voicemail: true, StartedAt: at(1, 23, 30)},
		{CallID: "c3", Type: routing.CallOutgoing, Direction: routing.DirectionOutbound, OwnerUserID: ptr(uint(2)), StartedAt: at(2, 0, 0)},
		{CallID: "c4", Type: routing.CallIncoming, OwnerUserID: ptr(uint(2)), StartedAt: at(2, 12, 0)},
		{CallID: "c5", Type: routing.CallMissed, From: `=cmd|' /C calc'!A0`, StartedAt: at(2, 23, 59)},
	}
	for _, r := range recs {
		if r.Direction == "" {
			r.Direction = routing.DirectionInbound
		}
		if r.From == "" {
			r.From = "+15551230000"
		}
		r.To, r.Number = "+15550001111", "+15550001111"
		r.EndedAt = r.StartedAt.Add(90 * time.Second)
		r.HangupCause, r.SIPCode = "no answer", 480
		if r.Type != routing.CallMissed {
			r.AnsweredAt = ptr(r.StartedAt.Add(30 * time.Second))
			r.HangupCause, r.SIPCode = "completed", 200
		}
		if err := s.calls.Record(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
}

func ptr[T any](v T) *T { return &v }

type callList struct {
	Calls []routing.CallRecord `json:"calls"`
	Total int64                `json:"total"`
}

func TestListCalls(t *testing.T) {
	s, _ := testServer(t)
	seedCalls(t, s)
	tests := []struct {
		query string
		want  []string
		total int64
	}{
		{"", []string{"c5", "c4", "c3", "c2", "c1"}, 5},
		{"?owner=2", []string{"c4", "c3"}, 2},
		{"?type=missed", []string{"c5", "c2"}, 2},
		{"?type=incoming&owner=1", []string{"c1"}, 1},
		{"?voicemail=true", []string{"c2"}, 1},
		{"?voicemail=false", []string{"c5", "c4", "c3", "c1"}, 4},
		{"?voicemail=1&to=2025-03-01", []string{"c2"}, 1},
		{"?from=2025-03-02", []string{"c5", "c4", "c3"}, 3},
		{"?to=2025-03-01", []string{"c2", "c1"}, 2}, // the whole of March 1st
		{"?from=2025-03-01&to=2025-03-01", []string{"c2", "c1"}, 2},
		{"?from=2025-03-01T23:30:00Z&to=2025-03-02T12:00:00Z", []string{"c3", "c2"}, 2}, // to is exclusive
		{"?from=2025-03-02T01:00:00%2B02:00", []string{"c5", "c4", "c3", "c2"}, 4},      // 23:00 UTC on the 1st
		{"?limit=2&offset=1", []string{"c4", "c3"}, 5},
		{"?type=missed&limit=1", []string{"c5"}, 2},
		{"?offset=10", []string{}, 5},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			got := decodeBody[callList](t, api(t, s, "GET", "/api/v1/calls"+tt.query, "", http.StatusOK))
			ids := []string{}
			for _, c := range got.Calls {
				ids = append(ids, c.CallID)
			}
			if !slices.Equal(ids, tt.want) || got.Total != tt.total {
				t.Fatalf("got %v of %d, want %v of %d", ids, got.Total, tt.want, tt.total)
			}
		})
	}

	// The default page is 50 calls.
	for range 55 {
		seedCalls(t, s)
	}
	got := decodeBody[callList](t, api(t, s, "GET", "/api/v1/calls", "", http.StatusOK))
	if len(got.Calls) != 50 || got.Total != 5*56 {
		t.Fatalf("default page holds %d of %d", len(got.Calls), got.Total)
	}
}

func TestListCallsRefusesBadFilters(t *testing.T) {
	s, _ := testServer(t)
	tests := []struct {
		query  string
		fields []string
	}{
		{"?owner=alice", []string{"owner"}},
		{"?owner=0", []string{"owner"}},
		{"?type=lost", []string{"type"}},
		{"?voicemail=yes", []string{"voicemail"}},
		{"?from=yesterday", []string{"from"}},
		{"?to=2025-02-30", []string{"to"}},
		{"?from=2025-03-01T09:00:00", []string{"from"}}, // no zone
		{"?from=2025-03-02&to=2025-03-01", []string{"to"}},
		{"?from=2025-03-01T10:00:00Z&to=2025-03-01T10:00:00Z", []string{"to"}},
		{"?limit=0", []string{"limit"}},
		{"?limit=501", []string{"limit"}},
		{"?offset=-1", []string{"offset"}},
		{"?owner=x&type=y&from=z&to=w&limit=q&offset=r", []string{"owner", "type", "from", "to", "limit", "offset"}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			wantFields(t, api(t, s, "GET", "/api/v1/calls"+tt.query, "", http.StatusUnprocessableEntity), tt.fields...)
		})
	}
	wantFields(t, api(t, s, "GET", "/api/v1/calls.csv?type=lost", "", http.StatusUnprocessableEntity), "type")
	wantFields(t, api(t, s, "GET", "/api/v1/calls.csv?voicemail=maybe", "", http.StatusUnprocessableEntity), "voicemail")
}

func TestGetCall(t *testing.T) {
	s, _ := testServer(t)
	seedCalls(t, s)
	c := decodeBody[routing.CallRecord](t, api(t, s, "GET", "/api/v1/calls/4", "", http.StatusOK))
	if c.CallID != "c4" || c.DurationSeconds != 60 || c.OwnerUserID == nil || *c.OwnerUserID != 2 || c.AnsweredAt == nil {
		t.Fatalf("call 4 %+v", c)
	}
	api(t, s, "GET", "/api/v1/calls/99", "", http.StatusNotFound)
	api(t, s, "GET", "/api/v1/calls/x", "", http.StatusNotFound)
	wantStatus(t, do(t, s, req{method: "GET", path: "/api/v1/calls"}), http.StatusUnauthorized)
	wantStatus(t, do(t, s, req{method: "GET", path: "/api/v1/calls.csv"}), http.StatusUnauthorized)
}

func TestExportCalls(t *testing.T) {
	s, _ := testServer(t)
	seedCalls(t, s)
	// Paging does not apply: the export holds every matching call, and says
	// so to a client that asks for a page.
	wantFields(t, api(t, s, "GET", "/api/v1/calls.csv?to=2025-03-02&limit=1", "", http.StatusUnprocessableEntity), "limit")
	res := api(t, s, "GET", "/api/v1/calls.csv?to=2025-03-02", "", http.StatusOK)
	if ct, cd := res.Header.Get("Content-Type"), res.Header.Get("Content-Disposition"); ct != "text/csv; charset=utf-8" ||
		cd != `attachment; filename="calls.csv"` {
		t.Fatalf("Content-Type %q, Content-Disposition %q", ct, cd)
	}
	rows, err := csv.NewReader(res.Body).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rows[0], routing.CallCSVHeader) || len(rows) != 6 {
		t.Fatalf("%d rows, header %v", len(rows), rows[0])
	}
	col := func(name string) int { return slices.Index(rows[0], name) }
	first := rows[1]
	if first[col("call_id")] != "c5" || first[col("from")] != `'=cmd|' /C calc'!A0` || first[col("to")] != "+15550001111" ||
		first[col("started_at")] != "2025-03-02T23:59:00Z" || first[col("answered_at")] != "" || first[col("owner_user_id")] != "" {
		t.Fatalf("first row %q", first)
	}
	c4 := rows[2]
	if c4[col("call_id")] != "c4" || c4[col("duration_seconds")] != "60" || c4[col("owner_user_id")] != "2" || c4[col("type")] != "incoming" {
		t.Fatalf("second row %q", c4)
	}

	res = api(t, s, "GET", "/api/v1/calls.csv?owner=2&type=outgoing", "", http.StatusOK)
	rows, err = csv.NewReader(res.Body).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[1][col("call_id")] != "c3" || rows[1][col("direction")] != "outbound" {
		t.Fatalf("filtered export %q", rows)
	}

	// Voicemail messages are a filter of their own, in the export too.
	res = api(t, s, "GET", "/api/v1/calls.csv?voicemail=true", "", http.StatusOK)
	rows, err = csv.NewReader(res.Body).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[1][col("call_id")] != "c2" {
		t.Fatalf("voicemail export %q", rows)
	}
}

func TestOpenAPIDescribesCalls(t *testing.T) {
	var doc struct {
		Paths      map[string]map[string]json.RawMessage
		Components struct {
			Schemas map[string]struct {
				Properties map[string]json.RawMessage
			}
		}
	}
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/api/v1/calls", "/api/v1/calls.csv", "/api/v1/calls/{id}"} {
		if _, ok := doc.Paths[path]["get"]; !ok {
			t.Errorf("openapi.json lacks get %s", path)
		}
	}
	// The schema lists exactly the fields a call record is served with.
	b, err := json.Marshal(callBody{CreditsChargedLocal: "0.00"})
	if err != nil {
		t.Fatal(err)
	}
	var served map[string]any
	if err := json.Unmarshal(b, &served); err != nil {
		t.Fatal(err)
	}
	described := doc.Components.Schemas["CallRecord"].Properties
	if !slices.Equal(slices.Sorted(maps.Keys(served)), slices.Sorted(maps.Keys(described))) {
		t.Fatalf("CallRecord fields %v, described %v", slices.Sorted(maps.Keys(served)), slices.Sorted(maps.Keys(described)))
	}
}

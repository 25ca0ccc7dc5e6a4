package web

import (
	"net/http"
	"strings"
	"testing"
)

// TestUnknownQueryParametersAreRefused: ?period=this_week on /calls
// returned every call. Every list names the parameter it does not know.
func TestUnknownQueryParametersAreRefused(t *testing.T) {
	s := trunkServer(t)
	for _, tc := range []struct {
		path   string
		fields []string
	}{
		{"/api/v1/calls?period=this_week", []string{"period"}},
		{"/api/v1/calls.csv?period=this_week&owner=1", []string{"period"}},
		{"/api/v1/calls?limit=5&limit=6", []string{"limit"}},
		{"/api/v1/users?group=1", []string{"group"}},
		{"/api/v1/groups?name=Sales", []string{"name"}},
		{"/api/v1/numbers?country=US&flow=1", []string{"country", "flow"}},
		{"/api/v1/flows?enabled=true", []string{"enabled"}},
		{"/api/v1/trunks?enabled=true", []string{"enabled"}},
		{"/api/v1/registrations?aor=1001", []string{"aor"}},
		{"/api/v1/tokens?all=1", []string{"all"}},
	} {
		t.Run(tc.path, func(t *testing.T) {
			wantFields(t, api(t, s, "GET", tc.path, "", http.StatusUnprocessableEntity), tc.fields...)
		})
	}
	for _, path := range []string{"/api/v1/calls?owner=1&type=missed&from=2025-03-01&to=2025-03-31&limit=5&offset=0",
		"/api/v1/users?group_id=1", "/api/v1/numbers?type=local&flow_id=none", "/api/v1/registrations?user=1001"} {
		api(t, s, "GET", path, "", http.StatusOK)
	}
}

// TestUnsupportedMethodsAnswer405: a known path with a method it does not
// take answered 404, as if the path did not exist.
func TestUnsupportedMethodsAnswer405(t *testing.T) {
	s := trunkServer(t)
	for _, tc := range []struct{ method, path, allow string }{
		{"DELETE", "/api/v1/users", "GET, HEAD, POST"},
		{"POST", "/api/v1/users/1", "GET, HEAD, PUT, PATCH, DELETE"},
		{"PUT", "/api/v1/calls", "GET, HEAD"},
		{"DELETE", "/api/v1/flows/1/publish", "POST"},
		{"PUT", "/api/v1/session", "GET, HEAD, POST, DELETE"},
		{"PATCH", "/api/v1/trunks", "GET, HEAD, POST"},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			res := api(t, s, tc.method, tc.path, "", http.StatusMethodNotAllowed)
			if got := res.Header.Get("Allow"); got != tc.allow {
				t.Fatalf("Allow %q, want %q", got, tc.allow)
			}
			if e := decodeBody[errorBody](t, res); !strings.Contains(e.Error, tc.method) {
				t.Fatalf("error %q", e.Error)
			}
		})
	}
	api(t, s, "GET", "/api/v1/nothing", "", http.StatusNotFound)
	api(t, s, "DELETE", "/api/v1/nothing/1", "", http.StatusNotFound)
}

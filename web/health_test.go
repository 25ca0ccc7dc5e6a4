package web

import (
	"errors"
	"net/http"
	"testing"
)

func TestHealthzReportsSIP(t *testing.T) {
	s, _ := testServer(t)
	var sipDown error
	WithHealth(func() error { return sipDown })(s)

	wantStatus(t, do(t, s, req{method: "GET", path: "/healthz"}), http.StatusOK)

	sipDown = errors.New("sip stopped serving: accept tcp: too many open files")
	res := do(t, s, req{method: "GET", path: "/healthz"})
	wantStatus(t, res, http.StatusServiceUnavailable)
	if body := decodeBody[map[string]string](t, res); body["error"] != sipDown.Error() {
		t.Fatalf("503 body %v does not say why", body)
	}
}

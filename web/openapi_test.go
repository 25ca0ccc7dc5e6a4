package web

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// TestOpenAPICoversRoutes keeps the document and the server in step: every
// route the server registers is in openapi.json with its method, and every
// operation the document lists is a route. The server is built with every
// optional part, so that every route is registered.
func TestOpenAPICoversRoutes(t *testing.T) {
	s := fullServer(t)
	served := map[string]bool{}
	for _, p := range s.patterns {
		method, path, ok := strings.Cut(p, " ")
		if !ok {
			path, method = p, ""
		}
		switch {
		case path == "/api/v1/":
			continue // the API's fallback: 404 or 405 for what no route matches
		case method == "" && path == "/":
			method = "GET" // the admin app, which refuses every other method itself
		case method == "":
			t.Errorf("route %q names no method", p)
			continue
		}
		served[method+" "+path] = true
	}

	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for m := range ops {
			switch m {
			case "get", "put", "post", "delete", "patch", "head", "options", "trace":
				documented[strings.ToUpper(m)+" "+path] = true
			}
		}
	}
	for _, r := range sortedKeys(served) {
		if !documented[r] {
			t.Errorf("%s is served but not in openapi.json", r)
		}
	}
	for _, r := range sortedKeys(documented) {
		if !served[r] {
			t.Errorf("%s is in openapi.json but not served", r)
		}
	}
	if len(served) < 40 {
		t.Errorf("only %d routes registered: is the server missing a part?", len(served))
	}
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// noTrunks and noMedia stand in for parts whose routes are registered but
// never called here.
type noTrunks struct{ Trunks }
type noMedia struct{ MediaFiles }

// fullServer is a server with every optional part.
func fullServer(t *testing.T) *Server {
	t.Helper()
	s := billingServer(t)
	WithTrunks(noTrunks{})(s)
	WithMedia(noMedia{})(s)
	WithLive(newFakeLive(), nil)(s)
	s.handler = s.routes()
	return s
}

package web

import (
	"net/http"
	"slices"
	"strings"

	"pbx/invalid"
)

// knownParams wraps a list endpoint so that a query parameter it does not
// know, or one given twice, is refused with 422 naming it, rather than
// ignored: a filter the client believes it applied must not silently
// select everything.
func knownParams(next http.HandlerFunc, names ...string) http.HandlerFunc {
	known := "is not a parameter of this list, which takes none"
	if len(names) > 0 {
		known = "is not a parameter of this list; it takes " + strings.Join(names, ", ")
	}
	return func(w http.ResponseWriter, r *http.Request) {
		var v invalid.Error
		for name, values := range r.URL.Query() {
			switch {
			case !slices.Contains(names, name):
				v.Add(name, known)
			case len(values) > 1:
				v.Add(name, "must be given once")
			}
		}
		// Sorted, so that the answer does not depend on map order.
		slices.SortFunc(v.Fields, func(a, b invalid.Field) int { return strings.Compare(a.Field, b.Field) })
		if err := v.Err(); err != nil {
			writeJSON(w, http.StatusUnprocessableEntity, errorBody{Error: "invalid input", Errors: v.Fields})
			return
		}
		next(w, r)
	}
}

// methodNotAllowed answers a request that reached no route: 405 with Allow
// when the path is a route of muxes for other methods, else 404. A mux's
// catch-all patterns ("/api/v1/", "/") are no route.
func methodNotAllowed(muxes ...*http.ServeMux) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var allow []string
		for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
			probe := r.Clone(r.Context())
			probe.Method = m
			if slices.ContainsFunc(muxes, func(mux *http.ServeMux) bool {
				_, pattern := mux.Handler(probe)
				return pattern != "" && pattern != "/api/v1/" && pattern != "/"
			}) {
				allow = append(allow, m)
			}
		}
		if len(allow) == 0 {
			writeJSON(w, http.StatusNotFound, errorBody{Error: "no such API resource"})
			return
		}
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeJSON(w, http.StatusMethodNotAllowed, errorBody{Error: r.Method + " is not supported here; allowed: " + strings.Join(allow, ", ")})
	}
}

package web

import (
	"context"
	"net/http"
	"strconv"
)

// The REST resources share one shape: read {id}, decode a body, call domain
// code, answer with its result or its error. These build those handlers so
// each resource names only the domain calls.

// byID answers a request on /{id} with what fn returns for that id: a GET,
// or an action such as POST /{id}/publish.
func byID[T any](s *Server, fn func(context.Context, uint) (T, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := pathID(w, r)
		if !ok {
			return
		}
		v, err := fn(r.Context(), id)
		if err != nil {
			writeError(w, s.log, err)
			return
		}
		writeJSON(w, http.StatusOK, v)
	}
}

// create answers POST on a collection: 201, the new resource, and its
// Location under base.
func create[In, T any](s *Server, base string, fn func(context.Context, In) (T, error), idOf func(T) uint) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var in In
		if err := decode(r, &in); err != nil {
			writeError(w, s.log, err)
			return
		}
		v, err := fn(r.Context(), in)
		if err != nil {
			writeError(w, s.log, err)
			return
		}
		w.Header().Set("Location", base+"/"+strconv.FormatUint(uint64(idOf(v)), 10))
		writeJSON(w, http.StatusCreated, v)
	}
}

// update answers PUT or PATCH on /{id} with the decoded body.
func update[In, T any](s *Server, fn func(context.Context, uint, In) (T, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := pathID(w, r)
		if !ok {
			return
		}
		var in In
		if err := decode(r, &in); err != nil {
			writeError(w, s.log, err)
			return
		}
		v, err := fn(r.Context(), id, in)
		if err != nil {
			writeError(w, s.log, err)
			return
		}
		writeJSON(w, http.StatusOK, v)
	}
}

// remove answers DELETE on /{id} with 204.
func remove(s *Server, fn func(context.Context, uint) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := pathID(w, r)
		if !ok {
			return
		}
		if err := fn(r.Context(), id); err != nil {
			writeError(w, s.log, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

// crud routes a collection at base: GET and POST on base, GET, PUT, PATCH
// and DELETE on base/{id}.
func crud[In, T any](api router, s *Server, base string, list http.HandlerFunc,
	add func(context.Context, In) (T, error), idOf func(T) uint,
	get func(context.Context, uint) (T, error), change func(context.Context, uint, In) (T, error),
	del func(context.Context, uint) error) {
	api.HandleFunc("GET "+base, list)
	api.HandleFunc("POST "+base, create(s, base, add, idOf))
	api.HandleFunc("GET "+base+"/{id}", byID(s, get))
	api.HandleFunc("PUT "+base+"/{id}", update(s, change))
	api.HandleFunc("PATCH "+base+"/{id}", update(s, change))
	api.HandleFunc("DELETE "+base+"/{id}", remove(s, del))
}

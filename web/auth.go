package web

import (
	"context"
	"errors"
	"net/http"
	"strings"
)

const (
	sessionCookie = "pbx_session"
	csrfHeader    = "X-CSRF-Token"
)

// principal is who a request acts as.
type principal struct {
	sessionID string   // the cookie's secret, when signed in by browser
	session   *Session // nil for bearer tokens
}

type principalKey struct{}

func principalFrom(ctx context.Context) principal {
	p, _ := ctx.Value(principalKey{}).(principal)
	return p
}

// authenticate lets a request through with a valid bearer token (the
// bootstrap PBX_ADMIN_TOKEN or an API token) or a session cookie. A
// cookie-authenticated request that changes state must also carry the
// session's CSRF token in X-CSRF-Token: the cookie rides along on any request
// the browser sends, the header only on those our own app makes.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if h := r.Header.Get("Authorization"); h != "" {
			tok, ok := strings.CutPrefix(h, "Bearer ")
			if !ok {
				unauthorized(w, "send Authorization: Bearer <token>")
				return
			}
			if err := s.creds.CheckBearer(ctx, strings.TrimSpace(tok)); err != nil {
				if !errors.Is(err, ErrNoToken) {
					writeError(w, s.log, err)
					return
				}
				unauthorized(w, "missing or wrong bearer token")
				return
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(ctx, principalKey{}, principal{})))
			return
		}
		c, err := r.Cookie(sessionCookie)
		if err != nil || c.Value == "" {
			unauthorized(w, "sign in, or send a bearer token")
			return
		}
		sess, err := s.creds.Session(ctx, c.Value)
		if errors.Is(err, ErrNoSession) {
			clearSessionCookie(w, r)
			unauthorized(w, "your session has ended; sign in again")
			return
		}
		if err != nil {
			writeError(w, s.log, err)
			return
		}
		if changesState(r.Method) && !equal(r.Header.Get(csrfHeader), sess.CSRFToken) {
			writeJSON(w, http.StatusForbidden, errorBody{Error: "missing or wrong " + csrfHeader + " header; read the token from GET /api/v1/session"})
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(ctx, principalKey{}, principal{sessionID: c.Value, session: &sess})))
	})
}

func unauthorized(w http.ResponseWriter, msg string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="pbx"`)
	writeJSON(w, http.StatusUnauthorized, errorBody{Error: msg})
}

func changesState(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return true
}

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
	token     string   // the bearer token's name
}

type principalKey struct{}

func principalFrom(ctx context.Context) principal {
	p, _ := ctx.Value(principalKey{}).(principal)
	return p
}

// authenticate lets a request through with a valid bearer token (the
// bootstrap PBX_ADMIN_TOKEN until an admin password is set, or an API token)
// or a session cookie. A wrong bearer token counts as a guess against the
// client, like a wrong password at sign-in; a client over the limit gets 429,
// even with the right token, until its guesses age out. A
// cookie-authenticated request that changes state must also carry the
// session's CSRF token in X-CSRF-Token: the cookie rides along on any request
// the browser sends, the header only on those our own app makes.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if h := r.Header.Get("Authorization"); h != "" {
			key := guessKey(r)
			if d := s.guesses.take(key); d > 0 {
				tooManyGuesses(w, d)
				return
			}
			tok, ok := strings.CutPrefix(h, "Bearer ")
			if !ok {
				s.guesses.done(key, true)
				unauthorized(w, "send Authorization: Bearer <token>")
				return
			}
			name, err := s.creds.CheckBearer(ctx, strings.TrimSpace(tok))
			s.guesses.done(key, errors.Is(err, ErrNoToken)) // a database error is not the client's
			switch {
			case errors.Is(err, ErrBootstrapRetired):
				s.log.Warn("PBX_ADMIN_TOKEN refused as a bearer token: the admin password is set; use an API token", "remote", clientIP(r))
				unauthorized(w, "missing or wrong bearer token")
				return
			case errors.Is(err, ErrNoToken):
				s.log.Warn("bearer token refused", "remote", clientIP(r))
				unauthorized(w, "missing or wrong bearer token")
				return
			case err != nil:
				writeError(w, s.log, err)
				return
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(ctx, principalKey{}, principal{token: name})))
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

package web

import (
	"errors"
	"net/http"
	"time"
)

type signInInput struct {
	Password string `json:"password"`
}

type sessionView struct {
	Auth        string     `json:"auth"` // "session" or "token"
	CSRFToken   string     `json:"csrf_token,omitempty"`
	ExpiresAt   *time.Time `json:"expires_at,omitempty"`
	PasswordSet bool       `json:"password_set"`
}

// signIn checks the admin password and starts a browser session.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request) {
	var in signInInput
	if err := decode(r, &in); err != nil {
		writeError(w, s.log, err)
		return
	}
	if err := s.creds.CheckPassword(r.Context(), in.Password); err != nil {
		if errors.Is(err, ErrWrongPassword) {
			s.log.Warn("sign-in refused", "remote", clientIP(r))
			writeJSON(w, http.StatusUnauthorized, errorBody{Error: "wrong password"})
			return
		}
		writeError(w, s.log, err)
		return
	}
	id, sess, err := s.creds.NewSession(r.Context())
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: id, Path: "/", Expires: sess.ExpiresAt,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: isHTTPS(r),
	})
	s.log.Info("signed in", "remote", clientIP(r))
	s.writeSession(w, r, http.StatusCreated, &sess)
}

func (s *Server) getSession(w http.ResponseWriter, r *http.Request) {
	s.writeSession(w, r, http.StatusOK, principalFrom(r.Context()).session)
}

func (s *Server) writeSession(w http.ResponseWriter, r *http.Request, status int, sess *Session) {
	set, err := s.creds.PasswordSet(r.Context())
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	v := sessionView{Auth: "token", PasswordSet: set}
	if sess != nil {
		v.Auth, v.CSRFToken, v.ExpiresAt = "session", sess.CSRFToken, &sess.ExpiresAt
	}
	writeJSON(w, status, v)
}

func (s *Server) signOut(w http.ResponseWriter, r *http.Request) {
	if p := principalFrom(r.Context()); p.session != nil {
		if err := s.creds.EndSession(r.Context(), p.sessionID); err != nil {
			writeError(w, s.log, err)
			return
		}
	}
	clearSessionCookie(w, r)
	w.WriteHeader(http.StatusNoContent)
}

type passwordInput struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) {
	var in passwordInput
	if err := decode(r, &in); err != nil {
		writeError(w, s.log, err)
		return
	}
	if err := s.creds.ChangePassword(r.Context(), in.CurrentPassword, in.NewPassword, principalFrom(r.Context()).sessionID); err != nil {
		writeError(w, s.log, err)
		return
	}
	s.log.Info("admin password changed", "remote", clientIP(r))
	w.WriteHeader(http.StatusNoContent)
}

func clearSessionCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: isHTTPS(r),
	})
}

// isHTTPS reports whether the browser reached us over TLS, directly or through
// a proxy that says so. Only then is the cookie marked Secure: on plain
// http://localhost a Secure cookie would not be stored at all.
func isHTTPS(r *http.Request) bool {
	return r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https"
}

package web

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"gorm.io/gorm"

	"pbx/routing"
	"pbx/sip"
	"pbx/store"
)

const bootstrap = "bootstrap-token-123"

type noRegistrations struct{}

func (noRegistrations) All() []sip.Binding { return nil }

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// testDB opens a fresh SQLite database with routing's and web's tables.
func testDB(t *testing.T) (*gorm.DB, *slog.Logger) {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := store.Open(filepath.Join(t.TempDir(), "pbx.db"), log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close(db) })
	if err := store.Migrate(context.Background(), db, append(routing.Models(), Models()...)...); err != nil {
		t.Fatal(err)
	}
	return db, log
}

func testServer(t *testing.T) (*Server, *clock) {
	t.Helper()
	db, log := testDB(t)
	s := NewServer(Config{AdminToken: bootstrap}, db, routing.NewDirectory(db, "pbx"), noRegistrations{}, prometheus.NewRegistry(), log)
	c := &clock{t: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
	s.now = c.now
	return s, c
}

// req is one request to the server; cookie, csrf and bearer are optional.
type req struct {
	method, path, body string
	cookie, csrf       string
	bearer             string
	remote             string
	header             map[string]string
}

func do(t *testing.T, s *Server, q req) *http.Response {
	t.Helper()
	var body io.Reader
	if q.body != "" {
		body = strings.NewReader(q.body)
	}
	r := httptest.NewRequest(q.method, q.path, body)
	if q.remote != "" {
		r.RemoteAddr = q.remote
	}
	if q.cookie != "" {
		r.AddCookie(&http.Cookie{Name: sessionCookie, Value: q.cookie})
	}
	if q.csrf != "" {
		r.Header.Set(csrfHeader, q.csrf)
	}
	if q.bearer != "" {
		r.Header.Set("Authorization", "Bearer "+q.bearer)
	}
	for k, v := range q.header {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	return w.Result()
}

func decodeBody[T any](t *testing.T, res *http.Response) T {
	t.Helper()
	var v T
	if err := json.NewDecoder(res.Body).Decode(&v); err != nil {
		t.Fatalf("decode %d body: %v", res.StatusCode, err)
	}
	return v
}

func wantStatus(t *testing.T, res *http.Response, want int) {
	t.Helper()
	if res.StatusCode != want {
		b, _ := io.ReadAll(res.Body)
		// httptest's recorded responses carry no Request to name.
		t.Fatalf("status %d, want %d; body %s", res.StatusCode, want, b)
	}
}

func sessionCookieOf(t *testing.T, res *http.Response) *http.Cookie {
	t.Helper()
	for _, c := range res.Cookies() {
		if c.Name == sessionCookie {
			return c
		}
	}
	t.Fatalf("no %s cookie in %v", sessionCookie, res.Header.Values("Set-Cookie"))
	return nil
}

// signIn signs in with password and returns the cookie value and CSRF token.
func signIn(t *testing.T, s *Server, password string) (string, string) {
	t.Helper()
	res := do(t, s, req{method: "POST", path: "/api/v1/session", body: `{"password":"` + password + `"}`})
	wantStatus(t, res, http.StatusCreated)
	v := decodeBody[sessionView](t, res)
	return sessionCookieOf(t, res).Value, v.CSRFToken
}

func TestBrowserSession(t *testing.T) {
	s, _ := testServer(t)

	res := do(t, s, req{method: "POST", path: "/api/v1/session", body: `{"password":"nope"}`})
	wantStatus(t, res, http.StatusUnauthorized)
	if len(res.Cookies()) != 0 {
		t.Fatal("a wrong password set a cookie")
	}

	res = do(t, s, req{method: "POST", path: "/api/v1/session", body: `{"password":"` + bootstrap + `"}`})
	wantStatus(t, res, http.StatusCreated)
	c := sessionCookieOf(t, res)
	if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Secure || c.Path != "/" {
		t.Fatalf("cookie %+v: want HttpOnly, SameSite=Strict, not Secure on plain http, Path=/", c)
	}
	created := decodeBody[sessionView](t, res)

	res = do(t, s, req{method: "GET", path: "/api/v1/session", cookie: c.Value})
	wantStatus(t, res, http.StatusOK)
	v := decodeBody[sessionView](t, res)
	if v.Auth != "session" || v.CSRFToken == "" || v.CSRFToken != created.CSRFToken || v.PasswordSet {
		t.Fatalf("session view %+v", v)
	}

	user := `{"name":"Alice","extension":"1001","sip_password":"secret-pass-1"}`
	t.Run("reads need no CSRF token", func(t *testing.T) {
		wantStatus(t, do(t, s, req{method: "GET", path: "/api/v1/users", cookie: c.Value}), http.StatusOK)
	})
	t.Run("writes without the CSRF token are refused", func(t *testing.T) {
		res := do(t, s, req{method: "POST", path: "/api/v1/users", body: user, cookie: c.Value})
		wantStatus(t, res, http.StatusForbidden)
		if e := decodeBody[errorBody](t, res); !strings.Contains(e.Error, csrfHeader) {
			t.Fatalf("error %q does not name the header", e.Error)
		}
		wantStatus(t, do(t, s, req{method: "POST", path: "/api/v1/users", body: user, cookie: c.Value, csrf: "wrong"}), http.StatusForbidden)
		wantStatus(t, do(t, s, req{method: "DELETE", path: "/api/v1/session", cookie: c.Value}), http.StatusForbidden)
	})
	t.Run("writes with the CSRF token pass", func(t *testing.T) {
		wantStatus(t, do(t, s, req{method: "POST", path: "/api/v1/users", body: user, cookie: c.Value, csrf: v.CSRFToken}), http.StatusCreated)
	})
	t.Run("bearer requests need no CSRF token", func(t *testing.T) {
		wantStatus(t, do(t, s, req{method: "POST", path: "/api/v1/groups", body: `{"name":"Sales"}`, bearer: bootstrap}), http.StatusCreated)
	})

	res = do(t, s, req{method: "DELETE", path: "/api/v1/session", cookie: c.Value, csrf: v.CSRFToken})
	wantStatus(t, res, http.StatusNoContent)
	if cleared := sessionCookieOf(t, res); cleared.MaxAge >= 0 {
		t.Fatalf("sign-out did not clear the cookie: %+v", cleared)
	}
	res = do(t, s, req{method: "GET", path: "/api/v1/users", cookie: c.Value})
	wantStatus(t, res, http.StatusUnauthorized)
}

func TestSessionExpires(t *testing.T) {
	s, clk := testServer(t)
	cookie, _ := signIn(t, s, bootstrap)
	clk.t = clk.t.Add(SessionTTL - time.Second)
	wantStatus(t, do(t, s, req{method: "GET", path: "/api/v1/session", cookie: cookie}), http.StatusOK)
	clk.t = clk.t.Add(2 * time.Second)
	wantStatus(t, do(t, s, req{method: "GET", path: "/api/v1/session", cookie: cookie}), http.StatusUnauthorized)
}

func TestSecureCookieOnlyOverHTTPS(t *testing.T) {
	s, _ := testServer(t)
	res := do(t, s, req{method: "POST", path: "/api/v1/session", body: `{"password":"` + bootstrap + `"}`,
		header: map[string]string{"X-Forwarded-Proto": "https"}})
	wantStatus(t, res, http.StatusCreated)
	if !sessionCookieOf(t, res).Secure {
		t.Fatal("cookie behind an HTTPS proxy is not Secure")
	}
}

func TestChangePassword(t *testing.T) {
	s, _ := testServer(t)
	cookie, csrf := signIn(t, s, bootstrap)
	other, _ := signIn(t, s, bootstrap)
	put := func(body string) *http.Response {
		return do(t, s, req{method: "PUT", path: "/api/v1/session/password", body: body, cookie: cookie, csrf: csrf})
	}
	for name, tc := range map[string]struct{ body, field string }{
		"too short":       {`{"current_password":"` + bootstrap + `","new_password":"short"}`, "new_password"},
		"one character":   {`{"current_password":"` + bootstrap + `","new_password":"aaaaaaaaaaaaaaaa"}`, "new_password"},
		"same as current": {`{"current_password":"` + bootstrap + `","new_password":"` + bootstrap + `"}`, "new_password"},
		"wrong current":   {`{"current_password":"guess","new_password":"a-long-new-password"}`, "current_password"},
	} {
		t.Run(name, func(t *testing.T) {
			res := put(tc.body)
			wantStatus(t, res, http.StatusUnprocessableEntity)
			e := decodeBody[errorBody](t, res)
			if len(e.Errors) != 1 || e.Errors[0].Field != tc.field {
				t.Fatalf("errors %+v, want one on %s", e.Errors, tc.field)
			}
		})
	}

	wantStatus(t, put(`{"current_password":"`+bootstrap+`","new_password":"a-long-new-password"}`), http.StatusNoContent)

	wantStatus(t, do(t, s, req{method: "GET", path: "/api/v1/session", cookie: cookie}), http.StatusOK)
	wantStatus(t, do(t, s, req{method: "GET", path: "/api/v1/session", cookie: other}), http.StatusUnauthorized)
	wantStatus(t, do(t, s, req{method: "POST", path: "/api/v1/session", body: `{"password":"` + bootstrap + `"}`}), http.StatusUnauthorized)
	newCookie, _ := signIn(t, s, "a-long-new-password")
	res := do(t, s, req{method: "GET", path: "/api/v1/session", cookie: newCookie})
	if v := decodeBody[sessionView](t, res); !v.PasswordSet {
		t.Fatalf("password_set false after a change: %+v", v)
	}
	// PBX_ADMIN_TOKEN is no bearer token once the password is set: a leaked
	// start-up environment must not outlive the password it bootstrapped.
	wantStatus(t, do(t, s, req{method: "GET", path: "/api/v1/users", bearer: bootstrap}), http.StatusUnauthorized)
	res = do(t, s, req{method: "POST", path: "/api/v1/tokens", body: `{"name":"ops"}`, cookie: newCookie, csrf: decodeBody[sessionView](t, do(t, s, req{method: "GET", path: "/api/v1/session", cookie: newCookie})).CSRFToken})
	wantStatus(t, res, http.StatusCreated)
	wantStatus(t, do(t, s, req{method: "GET", path: "/api/v1/users", bearer: decodeBody[createdToken](t, res).Token}), http.StatusOK)
}

func TestBootstrapTokenIsBearerUntilPasswordSet(t *testing.T) {
	s, _ := testServer(t)
	wantStatus(t, do(t, s, req{method: "GET", path: "/api/v1/users", bearer: bootstrap}), http.StatusOK)
	if err := s.creds.ChangePassword(context.Background(), bootstrap, "a-long-new-password", ""); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, do(t, s, req{method: "GET", path: "/api/v1/users", bearer: bootstrap}), http.StatusUnauthorized)
}

func TestAPITokens(t *testing.T) {
	s, _ := testServer(t)
	res := do(t, s, req{method: "POST", path: "/api/v1/tokens", body: `{"name":" "}`, bearer: bootstrap})
	wantStatus(t, res, http.StatusUnprocessableEntity)

	res = do(t, s, req{method: "POST", path: "/api/v1/tokens", body: `{"name":"CRM sync"}`, bearer: bootstrap})
	wantStatus(t, res, http.StatusCreated)
	created := decodeBody[createdToken](t, res)
	if !strings.HasPrefix(created.Token, tokenPrefix) || created.Name != "CRM sync" || !strings.HasPrefix(created.Token, created.Prefix) {
		t.Fatalf("created %+v", created)
	}

	wantStatus(t, do(t, s, req{method: "GET", path: "/api/v1/users", bearer: created.Token}), http.StatusOK)

	res = do(t, s, req{method: "GET", path: "/api/v1/tokens", bearer: created.Token})
	wantStatus(t, res, http.StatusOK)
	raw, _ := io.ReadAll(res.Body)
	if strings.Contains(string(raw), created.Token) {
		t.Fatal("the token list shows a secret")
	}
	var list struct{ Tokens []APIToken }
	_ = json.Unmarshal(raw, &list)
	if len(list.Tokens) != 1 || list.Tokens[0].LastUsedAt == nil {
		t.Fatalf("tokens %+v: want one, used", list.Tokens)
	}

	path := "/api/v1/tokens/" + itoa(created.ID)
	wantStatus(t, do(t, s, req{method: "DELETE", path: path, bearer: bootstrap}), http.StatusNoContent)
	wantStatus(t, do(t, s, req{method: "GET", path: "/api/v1/users", bearer: created.Token}), http.StatusUnauthorized)
	wantStatus(t, do(t, s, req{method: "DELETE", path: path, bearer: bootstrap}), http.StatusNotFound)
	// An API token is not a password.
	wantStatus(t, do(t, s, req{method: "POST", path: "/api/v1/session", body: `{"password":"` + created.Token + `"}`}), http.StatusUnauthorized)
}

func itoa(n uint) string { return strconv.FormatUint(uint64(n), 10) }

func TestSignInRateLimit(t *testing.T) {
	s, clk := testServer(t)
	attempt := func(password, remote string) *http.Response {
		return do(t, s, req{method: "POST", path: "/api/v1/session", body: `{"password":"` + password + `"}`, remote: remote})
	}
	const attacker, neighbour = "192.0.2.7:4000", "192.0.2.8:4000"
	for range maxGuesses {
		wantStatus(t, attempt("guess", attacker), http.StatusUnauthorized)
		clk.t = clk.t.Add(time.Second)
	}
	res := attempt(bootstrap, attacker)
	wantStatus(t, res, http.StatusTooManyRequests)
	if ra := res.Header.Get("Retry-After"); ra != "55" {
		t.Fatalf("Retry-After %q, want 55 (the first failure ages out a minute after it)", ra)
	}
	// Another address is not held back by this one.
	wantStatus(t, attempt(bootstrap, neighbour), http.StatusCreated)

	clk.t = clk.t.Add(55 * time.Second)
	wantStatus(t, attempt(bootstrap, attacker), http.StatusCreated)
}

func TestAppServing(t *testing.T) {
	s, _ := testServer(t)
	t.Run("not built", func(t *testing.T) {
		s.ui = fstest.MapFS{".keep": {}}
		res := do(t, s, req{method: "GET", path: "/"})
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode == http.StatusNotFound || !strings.Contains(string(body), "web/ui/build.sh") {
			t.Fatalf("status %d body %q: want a page that says how to build the app", res.StatusCode, body)
		}
	})

	s.ui = fstest.MapFS{
		"index.html":         {Data: []byte("<div id=root></div>")},
		"assets/app-abc.js":  {Data: []byte("console.log(1)")},
		"favicon.svg":        {Data: []byte("<svg/>")},
		".keep":              {},
		"assets/.secret.txt": {Data: []byte("x")},
	}
	for _, tc := range []struct {
		path, body, cache string
		status            int
	}{
		{"/", "<div id=root>", "no-cache", 200},
		{"/telephony/users", "<div id=root>", "no-cache", 200}, // the app's own route, on reload
		{"/assets/app-abc.js", "console.log", "immutable", 200},
		{"/favicon.svg", "<svg/>", "no-cache", 200},
		{"/assets/gone-123.js", "", "", 404},
		{"/.keep", "<div id=root>", "no-cache", 200},
	} {
		t.Run(tc.path, func(t *testing.T) {
			res := do(t, s, req{method: "GET", path: tc.path})
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode != tc.status || !strings.Contains(string(body), tc.body) || !strings.Contains(res.Header.Get("Cache-Control"), tc.cache) {
				t.Fatalf("status %d cache %q body %q", res.StatusCode, res.Header.Get("Cache-Control"), body)
			}
		})
	}
	t.Run("API paths are not the app", func(t *testing.T) {
		res := do(t, s, req{method: "GET", path: "/api/v1/nothing", bearer: bootstrap})
		wantStatus(t, res, http.StatusNotFound)
		if ct := res.Header.Get("Content-Type"); ct != "application/json" {
			t.Fatalf("content type %q", ct)
		}
		wantStatus(t, do(t, s, req{method: "GET", path: "/api/v1/users"}), http.StatusUnauthorized)
	})
	wantStatus(t, do(t, s, req{method: "GET", path: "/api/v1/openapi.json"}), http.StatusOK)
	wantStatus(t, do(t, s, req{method: "POST", path: "/"}), http.StatusMethodNotAllowed)
}

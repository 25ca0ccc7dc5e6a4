package web

import (
	_ "embed"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"gorm.io/gorm"

	"pbx/routing"
)

// Config is what the web layer needs of the settings.
type Config struct {
	// AdminToken is PBX_ADMIN_TOKEN: always a valid bearer token, and the
	// admin app's password until the admin sets another.
	AdminToken string
}

// Sign-in attempts allowed per client IP before it must wait.
const (
	signInFailures = 5
	signInWindow   = time.Minute
)

// Server is the HTTP side of the PBX.
type Server struct {
	cfg     Config
	log     *slog.Logger
	now     func() time.Time
	dir     *routing.Directory
	regs    Registrations
	gather  prometheus.Gatherer
	creds   *Credentials
	signIns *failureLimiter
	ui      fs.FS
	trunks  Trunks
	calls   *routing.History
	handler http.Handler
}

// NewServer builds the routes. db holds web's own tables (Models); gather
// serves /metrics.
func NewServer(cfg Config, db *gorm.DB, dir *routing.Directory, regs Registrations, gather prometheus.Gatherer, log *slog.Logger, opts ...Option) *Server {
	s := &Server{cfg: cfg, log: log, now: time.Now, dir: dir, regs: regs, gather: gather, ui: embeddedUI()}
	for _, o := range opts {
		o(s)
	}
	if s.calls == nil {
		s.calls = routing.NewHistory(db)
	}
	now := func() time.Time { return s.now() } // follows s.now, which tests replace
	s.creds = NewCredentials(db, cfg.AdminToken, now)
	s.signIns = newFailureLimiter(signInFailures, signInWindow, now)
	s.handler = s.routes()
	return s
}

func (s *Server) routes() http.Handler {
	api := http.NewServeMux()
	if s.trunks != nil {
		api.HandleFunc("GET /api/v1/trunks", s.listTrunks)
		api.HandleFunc("POST /api/v1/trunks", s.createTrunk)
		api.HandleFunc("GET /api/v1/trunks/{id}", s.getTrunk)
		api.HandleFunc("PUT /api/v1/trunks/{id}", s.updateTrunk)
		api.HandleFunc("PATCH /api/v1/trunks/{id}", s.updateTrunk)
		api.HandleFunc("DELETE /api/v1/trunks/{id}", s.deleteTrunk)
	}
	api.HandleFunc("GET /api/v1/users", s.listUsers)
	api.HandleFunc("POST /api/v1/users", s.createUser)
	api.HandleFunc("GET /api/v1/users/{id}", s.getUser)
	api.HandleFunc("PUT /api/v1/users/{id}", s.updateUser)
	api.HandleFunc("PATCH /api/v1/users/{id}", s.updateUser)
	api.HandleFunc("DELETE /api/v1/users/{id}", s.deleteUser)
	api.HandleFunc("GET /api/v1/groups", s.listGroups)
	api.HandleFunc("POST /api/v1/groups", s.createGroup)
	api.HandleFunc("GET /api/v1/groups/{id}", s.getGroup)
	api.HandleFunc("PUT /api/v1/groups/{id}", s.updateGroup)
	api.HandleFunc("PATCH /api/v1/groups/{id}", s.updateGroup)
	api.HandleFunc("DELETE /api/v1/groups/{id}", s.deleteGroup)
	api.HandleFunc("GET /api/v1/numbers", s.listNumbers)
	api.HandleFunc("POST /api/v1/numbers", s.createNumber)
	api.HandleFunc("GET /api/v1/numbers/{id}", s.getNumber)
	api.HandleFunc("PUT /api/v1/numbers/{id}", s.updateNumber)
	api.HandleFunc("PATCH /api/v1/numbers/{id}", s.updateNumber)
	api.HandleFunc("DELETE /api/v1/numbers/{id}", s.deleteNumber)
	api.HandleFunc("GET /api/v1/flows", s.listFlows)
	api.HandleFunc("POST /api/v1/flows", s.createFlow)
	api.HandleFunc("GET /api/v1/flows/{id}", s.getFlow)
	api.HandleFunc("PUT /api/v1/flows/{id}", s.saveFlowDraft)
	api.HandleFunc("DELETE /api/v1/flows/{id}", s.deleteFlow)
	api.HandleFunc("GET /api/v1/flows/{id}/draft", s.getFlowDraft)
	api.HandleFunc("PUT /api/v1/flows/{id}/draft", s.saveFlowDraft)
	api.HandleFunc("POST /api/v1/flows/{id}/publish", s.publishFlow)
	api.HandleFunc("PUT /api/v1/flows/{id}/enable", s.setFlowEnabled)
	api.HandleFunc("GET /api/v1/flows/{id}/versions", s.listFlowVersions)
	api.HandleFunc("GET /api/v1/calls", s.listCalls)
	api.HandleFunc("GET /api/v1/calls.csv", s.exportCalls)
	api.HandleFunc("GET /api/v1/calls/{id}", s.getCall)
	api.HandleFunc("GET /api/v1/registrations", s.listRegistrations)
	api.HandleFunc("GET /api/v1/session", s.getSession)
	api.HandleFunc("DELETE /api/v1/session", s.signOut)
	api.HandleFunc("PUT /api/v1/session/password", s.changePassword)
	api.HandleFunc("GET /api/v1/tokens", s.listTokens)
	api.HandleFunc("POST /api/v1/tokens", s.createToken)
	api.HandleFunc("DELETE /api/v1/tokens/{id}", s.revokeToken)
	api.HandleFunc("/api/v1/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, errorBody{Error: "no such API resource"})
	})

	mux := http.NewServeMux()
	mux.Handle("/api/v1/", s.authenticate(api))
	mux.Handle("POST /api/v1/session", limitFailures(s.signIns, http.HandlerFunc(s.signIn)))
	mux.HandleFunc("GET /api/v1/openapi.json", s.openAPI)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.gather, promhttp.HandlerOpts{}))
	mux.HandleFunc("/", s.serveApp)
	return mux
}

// ServeHTTP serves the API and the admin app.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
}

//go:embed openapi.json
var openAPIDoc []byte

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(openAPIDoc)
}

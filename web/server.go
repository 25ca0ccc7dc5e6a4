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

	"pbx/billing"
	"pbx/routing"
	"pbx/sip"
)

// Config is what the web layer needs of the settings.
type Config struct {
	// AdminToken is PBX_ADMIN_TOKEN: the admin app's password and a bearer
	// token until the admin sets a password.
	AdminToken string
}

// Server is the HTTP side of the PBX.
type Server struct {
	cfg     Config
	log     *slog.Logger
	now     func() time.Time
	dir     *routing.Directory
	regs    Registrations
	gather  prometheus.Gatherer
	creds   *Credentials
	guesses *failureLimiter // wrong passwords and bearer tokens
	ui      fs.FS
	trunks  Trunks
	media   MediaFiles
	calls   *routing.History
	wallet  *billing.Wallet
	rates   *billing.Rates
	notes   *billing.Notifier
	subs    *billing.Subscriptions
	storage *billing.Storage
	live    *liveHub // the live view; nil serves none
	// recordings is the directory of call recordings; "" serves none.
	recordings string
	// health checks what /healthz reports; all must pass.
	health []func() error
	// patterns lists every route routes registered, "METHOD /path", for the
	// test that keeps openapi.json and the server in step.
	patterns []string
	handler  http.Handler
}

// NewServer builds the routes. db holds web's own tables (Models); gather
// serves /metrics.
func NewServer(cfg Config, db *gorm.DB, dir *routing.Directory, regs Registrations, gather prometheus.Gatherer, log *slog.Logger, opts ...Option) *Server {
	s := &Server{cfg: cfg, log: log, now: time.Now, dir: dir, regs: regs, gather: gather, ui: embeddedUI()}
	for _, o := range opts {
		o(s)
	}
	if s.calls == nil {
		s.calls = routing.NewHistory(db, log)
	}
	now := func() time.Time { return s.now() } // follows s.now, which tests replace
	s.creds = NewCredentials(db, cfg.AdminToken, now)
	s.guesses = newFailureLimiter(maxGuesses, guessWindow, now)
	s.handler = s.routes()
	return s
}

// router is a ServeMux that remembers the patterns it was given.
type router struct {
	*http.ServeMux
	patterns *[]string
}

func (r router) Handle(pattern string, h http.Handler) {
	*r.patterns = append(*r.patterns, pattern)
	r.ServeMux.Handle(pattern, h)
}

func (r router) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	r.Handle(pattern, http.HandlerFunc(h))
}

func (s *Server) routes() http.Handler {
	s.patterns = nil
	api := router{http.NewServeMux(), &s.patterns}
	mux := router{http.NewServeMux(), &s.patterns}
	if s.trunks != nil {
		t := s.trunks
		crud(api, s, "/api/v1/trunks", knownParams(s.listTrunks), t.Create, func(t sip.Trunk) uint { return t.ID }, t.Get, t.Update, t.Delete)
	}
	d := s.dir
	crud(api, s, "/api/v1/users", knownParams(s.listUsers, "group_id"), d.CreateUser, func(u routing.User) uint { return u.ID }, d.User, d.UpdateUser, d.DeleteUser)
	crud(api, s, "/api/v1/groups", knownParams(s.listGroups), d.CreateGroup, func(g routing.Group) uint { return g.ID }, d.Group, d.UpdateGroup, d.DeleteGroup)
	crud(api, s, "/api/v1/numbers", knownParams(s.listNumbers, "flow_id", "type"), d.CreateNumber, func(n routing.Number) uint { return n.ID }, d.Number, d.UpdateNumber, s.deleteNumber)
	if s.subs != nil {
		api.HandleFunc("GET /api/v1/numbers/available", knownParams(s.listAvailable, "country", "type", "region"))
		api.HandleFunc("POST /api/v1/numbers/available", act(s, http.StatusCreated, s.addAvailable))
		api.HandleFunc("POST /api/v1/numbers/available.csv", s.importAvailable)
		api.HandleFunc("POST /api/v1/numbers/quotes", act(s, http.StatusCreated, s.quoteNumber))
		api.HandleFunc("POST /api/v1/numbers/purchases", act(s, http.StatusCreated, s.buyNumber))
	}
	api.HandleFunc("GET /api/v1/flows", knownParams(s.listFlows))
	api.HandleFunc("POST /api/v1/flows", create(s, "/api/v1/flows", s.dir.CreateFlow, func(f routing.Flow) uint { return f.ID }))
	api.HandleFunc("GET /api/v1/flows/{id}", byID(s, s.dir.Flow))
	api.HandleFunc("PUT /api/v1/flows/{id}", s.putFlowDraft)
	api.HandleFunc("PATCH /api/v1/flows/{id}", s.patchFlowDraft)
	api.HandleFunc("DELETE /api/v1/flows/{id}", remove(s, s.dir.DeleteFlow))
	api.HandleFunc("GET /api/v1/flows/{id}/draft", s.getFlowDraft)
	api.HandleFunc("PUT /api/v1/flows/{id}/draft", s.putFlowDraft)
	api.HandleFunc("PATCH /api/v1/flows/{id}/draft", s.patchFlowDraft)
	api.HandleFunc("POST /api/v1/flows/{id}/publish", byID(s, s.dir.PublishFlow))
	api.HandleFunc("PUT /api/v1/flows/{id}/enable", s.setFlowEnabled)
	api.HandleFunc("GET /api/v1/flows/{id}/versions", knownParams(s.listFlowVersions))
	api.HandleFunc("POST /api/v1/flows/{id}/simulate", update(s, s.simulateFlow)) // one step of a call, no call made
	if s.media != nil {
		api.HandleFunc("GET /api/v1/media", knownParams(s.listMedia))
		api.HandleFunc("POST /api/v1/media", s.uploadMedia)
		api.HandleFunc("GET /api/v1/media/{id}", byID(s, s.media.Get))
		api.HandleFunc("DELETE /api/v1/media/{id}", remove(s, s.media.Delete))
		api.HandleFunc("GET /api/v1/media/{id}/audio", s.streamMedia)
	}
	if s.wallet != nil {
		api.HandleFunc("GET /api/v1/wallet", knownParams(s.getWallet))
		api.HandleFunc("GET /api/v1/wallet/check", knownParams(s.checkWallet))
		api.HandleFunc("GET /api/v1/wallet/usage", knownParams(s.walletUsage, "period", "from", "to"))
		api.HandleFunc("POST /api/v1/wallet/quotes", act(s, http.StatusCreated, s.createQuote))
		api.HandleFunc("GET /api/v1/wallet/purchases", knownParams(s.listPurchases))
		api.HandleFunc("POST /api/v1/wallet/purchases", s.createPurchase)
		api.HandleFunc("PUT /api/v1/wallet/auto-recharge", act(s, http.StatusOK, s.setAutoRecharge))
	}
	if s.storage != nil {
		api.HandleFunc("GET /api/v1/storage", knownParams(s.getStorage))
		api.HandleFunc("PUT /api/v1/storage", act(s, http.StatusOK, s.putStorage))
		api.HandleFunc("POST /api/v1/storage/quotes", act(s, http.StatusCreated, s.quoteStorage))
		api.HandleFunc("POST /api/v1/storage/purchases", act(s, http.StatusCreated, s.buyStorage))
	}
	if s.notes != nil {
		api.HandleFunc("GET /api/v1/notifications", knownParams(s.listNotifications))
		api.HandleFunc("POST /api/v1/notifications/{id}/read", byID(s, s.notes.MarkRead))
		api.HandleFunc("DELETE /api/v1/notifications/{id}", remove(s, s.dismissNotification))
	}
	if s.rates != nil {
		api.HandleFunc("GET /api/v1/rates", knownParams(s.listRates))
		api.HandleFunc("POST /api/v1/rates", create(s, "/api/v1/rates", s.createRate, func(r rateBody) uint { return r.ID }))
		api.HandleFunc("GET /api/v1/rates/{id}", byID(s, s.getRate))
		api.HandleFunc("PUT /api/v1/rates/{id}", update(s, s.updateRate))
		api.HandleFunc("DELETE /api/v1/rates/{id}", remove(s, s.rates.Delete))
		api.HandleFunc("GET /api/v1/rates.csv", knownParams(s.exportRates))
		api.HandleFunc("POST /api/v1/rates.csv", s.importRates)
	}
	api.HandleFunc("GET /api/v1/calls", knownParams(s.listCalls, "owner", "type", "voicemail", "from", "to", "limit", "offset"))
	api.HandleFunc("GET /api/v1/calls.csv", knownParams(s.exportCalls, "owner", "type", "voicemail", "from", "to")) // every matching call: no paging
	api.HandleFunc("GET /api/v1/calls/{id}", byID(s, s.call))
	api.HandleFunc("GET /api/v1/calls/{id}/recording", s.streamRecording)
	api.HandleFunc("GET /api/v1/registrations", knownParams(s.listRegistrations, "user"))
	if s.live != nil {
		api.HandleFunc("GET /api/v1/live", knownParams(s.streamLive))
	}
	api.HandleFunc("GET /api/v1/session", s.getSession)
	api.HandleFunc("DELETE /api/v1/session", s.signOut)
	api.HandleFunc("PUT /api/v1/session/password", s.changePassword)
	api.HandleFunc("GET /api/v1/tokens", knownParams(s.listTokens))
	api.HandleFunc("POST /api/v1/tokens", s.createToken)
	api.HandleFunc("DELETE /api/v1/tokens/{id}", s.revokeToken)
	api.HandleFunc("/api/v1/", methodNotAllowed(api.ServeMux, mux.ServeMux))

	mux.Handle("/api/v1/", s.authenticate(api))
	mux.Handle("POST /api/v1/session", limitFailures(s.guesses, http.HandlerFunc(s.signIn)))
	mux.HandleFunc("GET /api/v1/openapi.json", s.openAPI)
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.gather, promhttp.HandlerOpts{}))
	mux.HandleFunc("/", s.serveApp)
	return mux.ServeMux
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

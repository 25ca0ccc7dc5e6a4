package web

import (
	_ "embed"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"pbx/routing"
)

// Config is what the web layer needs of the settings.
type Config struct {
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
	handler http.Handler
}

// NewServer builds the routes. gather serves /metrics.
func NewServer(cfg Config, dir *routing.Directory, regs Registrations, gather prometheus.Gatherer, log *slog.Logger) *Server {
	s := &Server{cfg: cfg, log: log, now: time.Now, dir: dir, regs: regs, gather: gather}
	s.handler = s.routes()
	return s
}

func (s *Server) routes() http.Handler {
	api := http.NewServeMux()
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
	api.HandleFunc("GET /api/v1/registrations", s.listRegistrations)
	api.HandleFunc("/api/v1/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, errorBody{Error: "no such API resource"})
	})

	mux := http.NewServeMux()
	mux.Handle("/api/v1/", s.requireToken(api))
	mux.HandleFunc("GET /api/v1/openapi.json", s.openAPI)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.gather, promhttp.HandlerOpts{}))
	return mux
}

// ServeHTTP serves the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
}

//go:embed openapi.json
var openAPIDoc []byte

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(openAPIDoc)
}

package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"golang.org/x/sync/errgroup"
	"gopkg.in/yaml.v3"
	"gorm.io/gorm"

	"pbx/billing"
	"pbx/cluster"
	"pbx/configs"
	"pbx/ivr"
	"pbx/media"
	"pbx/routing"
	"pbx/sip"
	"pbx/store"
	"pbx/web"
)

// shutdownGrace bounds how long a clean stop may take.
const shutdownGrace = 5 * time.Second

// keepAliveEvery is how often the records of calls in progress are marked
// alive: a crash cuts a call, in the history, at most this short.
const keepAliveEvery = 10 * time.Second

func load(configPath string, environ []string) (configs.Config, *slog.Logger, error) {
	cfg, err := configs.Load(configPath, environ)
	if err != nil {
		return cfg, nil, err
	}
	return cfg, newLogger(cfg, os.Stderr), nil
}

func newLogger(cfg configs.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func models() []any {
	return slices.Concat(routing.Models(), ivr.Models(), sip.Models(), web.Models())
}

func openDB(ctx context.Context, cfg configs.Config, log *slog.Logger) (*gorm.DB, error) {
	db, err := store.Open(cfg.DB, log)
	if err != nil {
		return nil, err
	}
	if err := store.Migrate(ctx, db, models()...); err != nil {
		store.Close(db)
		return nil, err
	}
	// Money lives in tables changed only by numbered migrations.
	if err := store.MigrateVersioned(ctx, db, "billing", billing.Migrations(), log); err != nil {
		store.Close(db)
		return nil, err
	}
	if cfg.Cluster.Node != "" {
		if err := store.MigrateVersioned(ctx, db, "cluster", cluster.Migrations(), log); err != nil {
			store.Close(db)
			return nil, err
		}
	}
	return db, nil
}

func migrate(ctx context.Context, configPath string, environ []string, stderr io.Writer) error {
	cfg, log, err := load(configPath, environ)
	if err != nil {
		fmt.Fprintln(stderr, "pbx: configuration:", err)
		return err
	}
	db, err := openDB(ctx, cfg, log)
	if err != nil {
		return err
	}
	log.Info("database migrated", "db", redactDSN(cfg.DB))
	return store.Close(db)
}

func printConfig(configPath string, environ []string, out io.Writer) error {
	cfg, err := configs.Load(configPath, environ)
	if err != nil {
		return err
	}
	if cfg.AdminToken != "" {
		cfg.AdminToken = "(set)"
	}
	cfg.DB = redactDSN(cfg.DB)
	return yaml.NewEncoder(out).Encode(cfg)
}

func serve(parent context.Context, configPath string, environ []string, stderr io.Writer) error {
	cfg, log, err := load(configPath, environ)
	if err != nil {
		fmt.Fprintln(stderr, "pbx: configuration:", err)
		return err
	}
	if cfg.AdminToken == "" {
		cfg.AdminToken = randomToken()
		// Printed once, outside the log, so it is not kept in log files.
		fmt.Fprintf(stderr, "\nPBX_ADMIN_TOKEN was not set; this run's admin token is:\n\n    %s\n\n", cfg.AdminToken)
	}
	if parent == nil {
		parent = context.Background()
	}
	ctx, stop := signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
	defer stop()

	db, err := openDB(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer store.Close(db) // last, after everything that writes has stopped
	node, err := joinCluster(ctx, &cfg, db, log)
	if err != nil {
		return err
	}

	metrics := prometheus.NewRegistry()
	metrics.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	sip.SetProcessLogger(log.With("component", "sipgo"))
	dir := routing.NewDirectory(db, cfg.SIP.Realm, append(directoryOptions(node), routing.WithTrunks(sip.TrunkExists))...)
	loc := sip.NewLocation(db, log.With("component", "location"), cfg.SIP.Registrar.MaxContacts, time.Now, locationOptions(node)...)
	if n, err := loc.Load(ctx); err != nil {
		return err
	} else if n > 0 {
		log.Info("registrations restored", "count", n)
	}
	trunks, err := sip.NewTrunks(ctx, db, append(trunkOptions(node), sip.WithNumbersUsing(routing.NumbersUsingTrunk))...)
	if err != nil {
		return err
	}
	prompts := ivr.NewLibrary(db, ivr.Options{
		TTSCommand: cfg.Media.TTSCommand, TTSVoice: cfg.Media.TTSVoice, TTSSpeed: cfg.Media.TTSSpeed,
		URLTimeout: cfg.Media.URLTimeout, URLMaxBytes: cfg.Media.URLMaxBytes,
		Log: log.With("component", "prompts"), InUse: routing.FlowsUsingFile,
	})
	defer prompts.Close() // after the calls that play prompts have ended
	if _, err := exec.LookPath(cfg.Media.TTSCommand); err != nil {
		log.Warn("text prompts will play nothing: no speech synthesizer (apt-get install espeak-ng)", "tts_command", cfg.Media.TTSCommand)
	}
	music := holdMusic(ctx, cfg.Media.HoldMusic, prompts, log)
	low, high, _ := cfg.RTPRange() // validated with the configuration
	if err := sizeTCP(&cfg.SIP.TCP, high-low+1, log); err != nil {
		return err
	}
	ports, err := media.NewPortPool(mediaIP(cfg.SIP.Addr), low, high)
	if err != nil {
		return err
	}
	ports.Learning, ports.Quarantine = cfg.RTPLearning, cfg.RTPPortQuarantine
	history := routing.NewHistory(db, log.With("component", "calls"), historyOptions(node)...)
	bill, err := newBilling(ctx, cfg.Billing, db, history, metrics, log.With("component", "billing"), ledgerOptions(node), meterOptions(node)...)
	if err != nil {
		return err
	}
	defer bill.wallet.Wait() // auto-recharges under way finish before the database closes
	key, err := nonceKey(ctx, node)
	if err != nil {
		return err
	}
	calls := &router{}
	sipSrv, err := sip.NewServer(cfg.SIP, sip.Deps{
		NonceKey: key, Proxies: cfg.Cluster.Proxies, OnBusy: onBusy(node),
		Trunks:   trunks,
		Accounts: accounts{dir}, Location: loc, Metrics: metrics, Log: log.With("component", "sip"),
		Router: calls, Ports: ports, PublicIP: cfg.PublicIP, DeadMedia: cfg.MediaTimeout, HoldMusic: music,
		// A caller queued for a user is connected as soon as their call ends.
		OnFree: func(user uint) { calls.engine.UserFree(user) },
	})
	if err != nil {
		return err
	}
	// The engine reads who is online and on a call from the SIP edge.
	recordings := filepath.Join(cfg.DataDir, "recordings")
	calls.engine = routing.NewEngine(dir, presence(node, sipSrv), history, log.With("component", "calls"), time.Now,
		append(bill.engineOptions(), routing.WithRecordings(recordings), routing.WithPrompts(promptsFor{prompts}), routing.WithMusic(music))...)
	// Calls a crash cut short are closed in the history before new ones come.
	if n, err := calls.engine.CloseInterrupted(ctx); err != nil {
		return fmt.Errorf("close interrupted calls: %w", err)
	} else if n > 0 {
		log.Warn("closed calls the last run left in progress", "count", n)
	}
	if err := sipSrv.Listen(); err != nil {
		return err
	}
	api := web.NewServer(web.Config{AdminToken: cfg.AdminToken}, db, dir, loc, metrics, log.With("component", "web"), web.WithTrunks(trunks), web.WithRecordings(recordings), web.WithMedia(prompts),
		web.WithBilling(bill.wallet, bill.rates), web.WithNotifications(bill.notes), web.WithNumberStore(bill.subs), web.WithStorage(bill.storage),
		web.WithHealth(sipSrv.Health), web.WithLive(calls.engine, loc), web.WithHistory(history))
	httpLn, err := net.Listen("tcp", cfg.HTTP.Addr)
	if err != nil {
		return fmt.Errorf("http: %w", err)
	}
	var handler http.Handler = api
	if cfg.HTTP.Pprof {
		handler = withPprof(api)
		log.Warn("profiling endpoints are open at /debug/pprof/ (PBX_HTTP_PPROF)")
	}
	httpSrv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	httpSrv.RegisterOnShutdown(api.Close) // live view streams never end by themselves
	log.Info("pbx started", "version", version, "node", cfg.Cluster.Node, "sip", cfg.SIP.Addr, "http", httpLn.Addr().String(), "db", redactDSN(cfg.DB))

	g, gctx := errgroup.WithContext(ctx)
	// The location writes behind until everything else has stopped, so its
	// last flush sees the final state.
	locCtx, stopLoc := context.WithCancel(context.WithoutCancel(ctx))
	locDone := make(chan struct{})
	go func() { loc.Run(locCtx); close(locDone) }()
	g.Go(func() error { return sipSrv.Serve(gctx) })
	g.Go(func() error { return calls.engine.KeepAlive(gctx, keepAliveEvery) })
	g.Go(func() error { return runCluster(gctx, node, sipSrv, calls.engine, trunks, dir, bill.meter, log) })
	g.Go(func() error { return bill.notes.Run(gctx) })
	g.Go(func() error { return bill.runMonthly(gctx, dir, calls.engine, log.With("component", "billing")) })
	g.Go(func() error {
		if err := httpSrv.Serve(httpLn); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
	g.Go(func() error {
		<-gctx.Done()
		log.Info("shutting down")
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
		defer cancel()
		return httpSrv.Shutdown(sctx)
	})
	err = g.Wait()
	// The calls have ended: what became of them is written before the database closes.
	if ferr := history.Flush(context.WithoutCancel(ctx)); ferr != nil {
		log.Error("write call records", "error", ferr)
	}
	if node != nil && bill.meter != nil {
		// And the other nodes stop counting what they reserved against the
		// wallet now, not once this node is taken for dead.
		if perr := bill.meter.Publish(context.WithoutCancel(ctx)); perr != nil {
			log.Warn("publish this node's reservations", "error", perr)
		}
	}
	stopLoc()
	<-locDone
	if err != nil {
		log.Error("stopped", "error", err)
		return err
	}
	log.Info("stopped")
	return nil
}

// sizeTCP raises the open file limit and, unless configured, sets the SIP
// TCP connection cap under it.
func sizeTCP(tcp *configs.TCP, rtpPorts int, log *slog.Logger) error {
	fl, err := raiseFileLimit()
	if err != nil {
		return err
	}
	if tcp.MaxConnections == 0 {
		n, ok := tcpCap(fl.soft, rtpPorts)
		if !ok {
			log.Warn("the open file limit is too low for the RTP port range; raise it (LimitNOFILE=, ulimit -n)",
				"open_files", fl.soft, "rtp_ports", rtpPorts)
		}
		tcp.MaxConnections = n
	}
	log.Info("open file limit", "soft", fl.soft, "hard", fl.hard, "sip_tcp_max_connections", tcp.MaxConnections)
	return nil
}

// accounts adapts the directory to what the SIP edge asks of it.
type accounts struct{ dir *routing.Directory }

func (a accounts) Account(ctx context.Context, username string) (sip.Account, error) {
	u, err := a.dir.UserBySIPUsername(ctx, username)
	if errors.Is(err, routing.ErrNotFound) {
		return sip.Account{}, sip.ErrUnknownAccount
	}
	if err != nil {
		return sip.Account{}, err
	}
	return sip.Account{UserID: u.ID, Username: u.SIPUsername, HA1MD5: u.HA1MD5, HA1SHA256: u.HA1SHA256}, nil
}

func (a accounts) Cached(username string) bool { return a.dir.SIPUserCached(username) }

// promptsFor adapts the prompt library to the call engine.
type promptsFor struct{ lib *ivr.Library }

func (p promptsFor) Clip(ctx context.Context, pr routing.Prompt) (*media.Clip, error) {
	return p.lib.Clip(ctx, ivr.Prompt{Text: pr.Text, FileID: pr.FileID, URL: pr.URL})
}

// holdMusic loads the music for callers on hold and in queues: the
// built-in music when source is empty, else the WAV file at an http(s) URL
// or a path. Music that cannot be had is logged, and the built-in plays.
func holdMusic(ctx context.Context, source string, lib *ivr.Library, log *slog.Logger) *media.Clip {
	if source == "" {
		return media.HoldMusic()
	}
	var (
		clip *media.Clip
		err  error
	)
	if strings.HasPrefix(source, "http://") || strings.HasPrefix(source, "https://") {
		clip, err = lib.Clip(ctx, ivr.Prompt{URL: source})
	} else {
		clip, err = readWAV(source)
	}
	if err != nil {
		log.Warn("hold music unavailable; playing the built-in music", "hold_music", source, "error", err)
		return media.HoldMusic()
	}
	log.Info("hold music loaded", "hold_music", source, "seconds", clip.Duration().Seconds())
	return clip
}

func readWAV(path string) (*media.Clip, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	clip, _, err := media.DecodeWAV(f)
	if err != nil {
		return nil, fmt.Errorf("%s %w", path, err)
	}
	return clip, nil
}

func randomToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// redactDSN hides a PostgreSQL password in logs.
func redactDSN(dsn string) string {
	if !store.IsPostgres(dsn) {
		return dsn
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "postgres://(unparsable)"
	}
	return u.Redacted()
}

// withPprof serves Go's profiler under /debug/pprof/ beside h. It is for
// an operator measuring a server, never on by default.
func withPprof(h http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.Handle("/", h)
	return mux
}

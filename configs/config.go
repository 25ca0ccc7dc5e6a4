// Package configs holds the server's settings: their defaults, the optional YAML
// file, the PBX_* environment overrides and their validation. It is the only
// package besides cmd that reads files and the environment.
package configs

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/caarlos0/env/v11"
	"gopkg.in/yaml.v3"

	"pbx/money"
)

// Config is every setting of the server. The zero value is not useful: start
// from Default.
type Config struct {
	// DataDir holds the SQLite database and recordings.
	DataDir string `yaml:"data_dir" env:"PBX_DATA_DIR"`
	// DB is a SQLite file path or a postgres:// URL. Empty means DataDir/pbx.db.
	DB string `yaml:"db" env:"PBX_DB"`
	// PublicIP is the address advertised in SDP and Contact headers.
	PublicIP string `yaml:"public_ip" env:"PBX_PUBLIC_IP"`
	// RTPPorts is the media port range, "low-high".
	RTPPorts string `yaml:"rtp_ports" env:"PBX_RTP_PORTS"`
	// RTPLearning is how long after a call is answered the port a leg's
	// media comes from may still change (symmetric RTP behind NAT); media
	// is only ever taken from the address the leg's SDP or signalling
	// names, and after this from the one port learnt.
	RTPLearning time.Duration `yaml:"rtp_learning" env:"PBX_RTP_LEARNING"`
	// RTPPortQuarantine is how long a media port rests after a call
	// before another call gets it (unless no other port is free).
	RTPPortQuarantine time.Duration `yaml:"rtp_port_quarantine" env:"PBX_RTP_PORT_QUARANTINE"`
	// MediaTimeout hangs up a call that carries no RTP either way for this
	// long (a phone that vanished without a BYE).
	MediaTimeout time.Duration `yaml:"media_timeout" env:"PBX_MEDIA_TIMEOUT"`
	// AdminToken is the bootstrap admin password, and a bearer token for the
	// API until the admin sets a password. Empty: a random one per run.
	// At least MinAdminTokenLen characters.
	AdminToken string `yaml:"admin_token" env:"PBX_ADMIN_TOKEN"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `yaml:"log_level" env:"PBX_LOG_LEVEL"`
	// LogFormat is text or json.
	LogFormat string `yaml:"log_format" env:"PBX_LOG_FORMAT"`

	SIP     SIP     `yaml:"sip"`
	HTTP    HTTP    `yaml:"http"`
	Media   Media   `yaml:"media"`
	Billing Billing `yaml:"billing"`
	Cluster Cluster `yaml:"cluster"`
}

// Cluster runs the server as one node of several sharing a PostgreSQL
// database behind a SIP load balancer (Kamailio's dispatcher). Node empty
// is one server alone.
type Cluster struct {
	// Node names this node; set, it turns node mode on (the database must
	// be PostgreSQL). It is shown with each registration and call it holds.
	Node string `yaml:"node" env:"PBX_NODE"`
	// Proxies are the balancers' addresses (CIDRs or addresses): a
	// REGISTER's Path is kept only from them, and the carrier's address
	// they pass on in X-PBX-Source is believed only from them.
	Proxies []string `yaml:"proxies" env:"PBX_CLUSTER_PROXIES"`
	// DeadAfter is how long a node may go without a heartbeat before
	// another one closes its calls and stops counting its agents busy.
	DeadAfter time.Duration `yaml:"dead_after" env:"PBX_CLUSTER_DEAD_AFTER"`
}

// Billing is the prepaid credits: whether calls are charged, the local
// currency, and what calls with no rate do.
type Billing struct {
	// Enabled meters calls: with it off every call is free and never
	// refused for credit.
	Enabled bool `yaml:"enabled" env:"PBX_BILLING_ENABLED"`
	// Currency is the ISO 4217 code prices are shown in; ExchangeRate is
	// how much of it one credit (one US dollar) buys, a decimal string.
	Currency     string `yaml:"currency" env:"PBX_CURRENCY"`
	ExchangeRate string `yaml:"exchange_rate" env:"PBX_EXCHANGE_RATE"`
	// UnratedOutbound and UnratedInbound say what a call no rate matches
	// does: refuse or free.
	UnratedOutbound string `yaml:"unrated_outbound" env:"PBX_UNRATED_OUTBOUND"`
	UnratedInbound  string `yaml:"unrated_inbound" env:"PBX_UNRATED_INBOUND"`
	// PartnerManaged marks an organisation whose credits a partner
	// manages: auto-recharge is refused.
	PartnerManaged bool `yaml:"partner_managed" env:"PBX_PARTNER_MANAGED"`
	// TimeZone is the organisation's (an IANA name such as Europe/Paris):
	// usage periods and monthly charges follow its calendar; WeekStart is
	// the day its weeks begin.
	TimeZone  string `yaml:"time_zone" env:"PBX_TIME_ZONE"`
	WeekStart string `yaml:"week_start" env:"PBX_WEEK_START"`
	// BillingDay is the day of the month (1-28) monthly charges fall on.
	BillingDay int `yaml:"billing_day" env:"PBX_BILLING_DAY"`
	// WebhookURL receives each new notification as JSON, signed with
	// WebhookSecret (header X-PBX-Signature: sha256=<hex HMAC-SHA256>).
	WebhookURL    string `yaml:"webhook_url" env:"PBX_WEBHOOK_URL"`
	WebhookSecret string `yaml:"webhook_secret" env:"PBX_WEBHOOK_SECRET"`
	// Rates is a CSV file of rates loaded at start when there are none;
	// empty loads the example rates built in (configs/rates.example.csv).
	Rates string `yaml:"rates" env:"PBX_RATES"`
}

// SIP is the SIP edge: listeners, registrar and the failed-auth guard.
type SIP struct {
	// Addr is host:port for the SIP listeners.
	Addr string `yaml:"addr" env:"PBX_SIP_ADDR"`
	// Transports lists the listeners to open: udp, tcp.
	Transports []string `yaml:"transports" env:"PBX_SIP_TRANSPORTS"`
	// Realm is the digest realm. Changing it invalidates stored SIP passwords.
	Realm string `yaml:"realm" env:"PBX_SIP_REALM"`
	// Algorithms are the digest algorithms offered (MD5, SHA-256), each as
	// its own challenge, most preferred first.
	Algorithms []string `yaml:"digest_algorithms" env:"PBX_SIP_DIGEST_ALGORITHMS"`
	// NonceTTL is how long a digest nonce stays valid; an older one gets stale=true.
	NonceTTL time.Duration `yaml:"nonce_ttl" env:"PBX_SIP_NONCE_TTL"`
	// NonceBindSource makes a digest nonce good only from the IP address it
	// was sent to, so a sniffed credential is no use elsewhere. Turn it off
	// for phones that change address between a challenge and its answer.
	NonceBindSource bool `yaml:"nonce_bind_source" env:"PBX_SIP_NONCE_BIND_SOURCE"`
	// UserAgent is the Server/User-Agent header value.
	UserAgent string `yaml:"user_agent" env:"PBX_SIP_USER_AGENT"`

	Registrar Registrar `yaml:"registrar"`
	Guard     Guard     `yaml:"guard"`
	RateLimit RateLimit `yaml:"rate_limit"`
	Limits    Limits    `yaml:"limits"`
	TCP       TCP       `yaml:"tcp"`
}

// Limits caps the calls in progress; 0 is no cap.
type Limits struct {
	// CallsPerUser is the calls one phone user may have at once; one more
	// is answered 486 Busy Here.
	CallsPerUser int `yaml:"calls_per_user" env:"PBX_SIP_CALLS_PER_USER"`
	// CallsPerSource is the phone users' calls one IP address may have at
	// once; one more is answered 503.
	CallsPerSource int `yaml:"calls_per_source" env:"PBX_SIP_CALLS_PER_SOURCE"`
	// CallsPerTrunk is the calls one trunk may carry at once, in and out
	// (the channels of the carrier's contract); one more is answered 503
	// (a carrier then tries its next route).
	CallsPerTrunk int `yaml:"calls_per_trunk" env:"PBX_SIP_CALLS_PER_TRUNK"`
}

// TCP bounds the connections of the SIP TCP listener, so that a flood of
// idle connections cannot take every file descriptor.
type TCP struct {
	// MessageTimeout is how long a connection has to send a whole message:
	// the first counted from accept, each later one from its first byte.
	// A connection that misses it is closed, as is one that takes none of
	// what the PBX writes for as long.
	MessageTimeout time.Duration `yaml:"message_timeout" env:"PBX_SIP_TCP_MESSAGE_TIMEOUT"`
	// IdleTimeout closes a connection that has sent a whole message, but
	// registered no device, and then nothing for this long.
	IdleTimeout time.Duration `yaml:"idle_timeout" env:"PBX_SIP_TCP_IDLE_TIMEOUT"`
	// RegisteredIdleTimeout is IdleTimeout for a connection a device has
	// registered through: the PBX reaches the device through it, and it may
	// send nothing else until it registers again, so it must be longer than
	// registrar.max_expires.
	RegisteredIdleTimeout time.Duration `yaml:"registered_idle_timeout" env:"PBX_SIP_TCP_REGISTERED_IDLE_TIMEOUT"`
	// MaxPerSource is how many connections one IPv4 address (or IPv6 /64)
	// may hold open; 0 means no limit.
	MaxPerSource int `yaml:"max_per_source" env:"PBX_SIP_TCP_MAX_PER_SOURCE"`
	// MaxConnections caps the connections open at once; 0 sizes the cap
	// from the open file limit, less what UDP, RTP ports, the database and
	// HTTP need.
	MaxConnections int `yaml:"max_connections" env:"PBX_SIP_TCP_MAX_CONNECTIONS"`
}

// Registrar holds the REGISTER rules.
type Registrar struct {
	MinExpires     int `yaml:"min_expires" env:"PBX_REGISTRAR_MIN_EXPIRES"`
	MaxExpires     int `yaml:"max_expires" env:"PBX_REGISTRAR_MAX_EXPIRES"`
	DefaultExpires int `yaml:"default_expires" env:"PBX_REGISTRAR_DEFAULT_EXPIRES"`
	// MaxContacts is the number of devices one user may register at once;
	// a new one replaces the oldest.
	MaxContacts int `yaml:"max_contacts" env:"PBX_REGISTRAR_MAX_CONTACTS"`
	// Keepalive is the interval of OPTIONS pings to contacts behind NAT; 0 turns them off.
	Keepalive time.Duration `yaml:"keepalive" env:"PBX_REGISTRAR_KEEPALIVE"`
}

// Guard blocks source addresses that fail authentication too often, and
// locks accounts that fail too often from anywhere.
type Guard struct {
	// MaxFailures within Window blocks the source for BlockFor; 0 turns the guard off.
	MaxFailures int           `yaml:"max_failures" env:"PBX_GUARD_MAX_FAILURES"`
	Window      time.Duration `yaml:"window" env:"PBX_GUARD_WINDOW"`
	BlockFor    time.Duration `yaml:"block_for" env:"PBX_GUARD_BLOCK_FOR"`
	// Allow lists networks (CIDRs or addresses) never counted, blocked or
	// rate-limited, besides the trunks' addresses, which never are.
	Allow []string `yaml:"allow" env:"PBX_GUARD_ALLOW"`

	Account AccountLock `yaml:"account"`
}

// AccountLock stops password guessing spread over many addresses: an
// account that fails MaxFailures times within Window, from anywhere,
// accepts no new device for LockFor, while its registered devices go on.
type AccountLock struct {
	// MaxFailures is the failures that lock an account; 0 turns locking off.
	MaxFailures int           `yaml:"max_failures" env:"PBX_GUARD_ACCOUNT_MAX_FAILURES"`
	Window      time.Duration `yaml:"window" env:"PBX_GUARD_ACCOUNT_WINDOW"`
	LockFor     time.Duration `yaml:"lock_for" env:"PBX_GUARD_ACCOUNT_LOCK_FOR"`
}

// RateLimit drops SIP packets from a source address that sends too many
// requests
// (Kamailio's pike). Trunks' networks and sip.guard.allow are exempt.
type RateLimit struct {
	// Rate is the requests a second one source may send on average; 0
	// turns the limit off.
	Rate int `yaml:"rate" env:"PBX_SIP_RATE_LIMIT"`
	// Burst is how many requests a source may send at once above Rate.
	Burst int `yaml:"burst" env:"PBX_SIP_RATE_LIMIT_BURST"`
	// BlockFor is how long a source over the limit is ignored.
	BlockFor time.Duration `yaml:"block_for" env:"PBX_SIP_RATE_LIMIT_BLOCK_FOR"`
	// MaxSources bounds the sources tracked at once; the least recently
	// seen is forgotten first.
	MaxSources int `yaml:"max_sources" env:"PBX_SIP_RATE_LIMIT_MAX_SOURCES"`
}

// HTTP is the web listener: REST API, admin app, health and metrics.
type HTTP struct {
	Addr string `yaml:"addr" env:"PBX_HTTP_ADDR"`
	// Pprof opens Go's profiler at /debug/pprof/ (unauthenticated: for
	// measuring on a trusted network only).
	Pprof bool `yaml:"pprof" env:"PBX_HTTP_PPROF"`
}

// Media is where prompts and hold music come from: the speech synthesizer
// for text prompts, and the limits of audio URLs.
type Media struct {
	// TTSCommand is the speech synthesizer: espeak-ng, or a program that
	// takes its arguments (-v voice -s speed --stdout, text on stdin).
	TTSCommand string `yaml:"tts_command" env:"PBX_TTS_COMMAND"`
	// TTSVoice is the synthesizer's voice or language, such as en-us or de.
	TTSVoice string `yaml:"tts_voice" env:"PBX_TTS_VOICE"`
	// TTSSpeed is the speaking rate in words a minute.
	TTSSpeed int `yaml:"tts_speed" env:"PBX_TTS_SPEED"`
	// URLTimeout bounds the download of an audio URL.
	URLTimeout time.Duration `yaml:"url_timeout" env:"PBX_MEDIA_URL_TIMEOUT"`
	// URLMaxBytes is the largest audio URL downloaded.
	URLMaxBytes int64 `yaml:"url_max_bytes" env:"PBX_MEDIA_URL_MAX_BYTES"`
	// HoldMusic is what callers on hold or in a queue hear: empty for the
	// built-in music, else an http(s) URL or the path of a WAV file.
	HoldMusic string `yaml:"hold_music" env:"PBX_HOLD_MUSIC"`
}

// Weekday returns the day weeks start on, and whether WeekStart names one.
func (b Billing) Weekday() (time.Weekday, bool) {
	for d := time.Sunday; d <= time.Saturday; d++ {
		if strings.EqualFold(b.WeekStart, d.String()) {
			return d, true
		}
	}
	return 0, false
}

// Default returns the settings `pbx serve` runs with when nothing is configured.
func Default() Config {
	return Config{
		DataDir:           "./data",
		RTPPorts:          "10000-20000",
		RTPLearning:       3 * time.Second,
		RTPPortQuarantine: 10 * time.Second,
		MediaTimeout:      30 * time.Second,
		LogLevel:          "info",
		LogFormat:         "text",
		SIP: SIP{
			Addr:       "0.0.0.0:5060",
			Transports: []string{"udp", "tcp"},
			Realm:      "pbx",
			// SHA-256 is opt-in: some deployed phones (baresip 1.0's libre
			// among them) fail a REGISTER whose challenges name an algorithm
			// they do not know, instead of picking the one they do.
			Algorithms:      []string{"MD5"},
			NonceTTL:        5 * time.Minute,
			NonceBindSource: true,
			UserAgent:       "pbx",
			Registrar: Registrar{
				MinExpires:     60,
				MaxExpires:     3600,
				DefaultExpires: 600,
				MaxContacts:    10,
				Keepalive:      25 * time.Second,
			},
			Guard: Guard{
				MaxFailures: 10,
				Window:      time.Minute,
				BlockFor:    15 * time.Minute,
				Account: AccountLock{
					MaxFailures: 10,
					Window:      10 * time.Minute,
					LockFor:     15 * time.Minute,
				},
			},
			Limits: Limits{CallsPerUser: 10, CallsPerSource: 50},
			RateLimit: RateLimit{
				Rate:       1000,
				Burst:      2000,
				BlockFor:   30 * time.Second,
				MaxSources: 65536,
			},
			TCP: TCP{
				MessageTimeout: 10 * time.Second,
				IdleTimeout:    2 * time.Minute,
				// A little over the longest registration a phone is given.
				RegisteredIdleTimeout: 65 * time.Minute,
				MaxPerSource:          100,
			},
		},
		HTTP: HTTP{Addr: "0.0.0.0:8080"},
		Billing: Billing{
			Enabled:         true,
			Currency:        "USD",
			ExchangeRate:    "1",
			UnratedOutbound: "refuse", // an unpriced destination is where toll fraud goes
			UnratedInbound:  "free",
			TimeZone:        "UTC",
			WeekStart:       "monday",
			BillingDay:      1,
		},
		Cluster: Cluster{DeadAfter: 30 * time.Second},
		Media: Media{
			TTSCommand:  "espeak-ng",
			TTSVoice:    "en-us",
			TTSSpeed:    160,
			URLTimeout:  10 * time.Second,
			URLMaxBytes: 20 << 20,
		},
	}
}

// Load builds the configuration: defaults, then the YAML file at path (if
// path is not empty), then PBX_* variables from environ. It validates the result.
func Load(path string, environ []string) (Config, error) {
	cfg := Default()
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return cfg, fmt.Errorf("read config: %w", err)
		}
		if len(bytes.TrimSpace(b)) > 0 {
			dec := yaml.NewDecoder(bytes.NewReader(b))
			dec.KnownFields(true)
			if err := dec.Decode(&cfg); err != nil {
				return cfg, fmt.Errorf("config %s: %w", path, err)
			}
		}
	}
	if err := env.ParseWithOptions(&cfg, env.Options{Environment: toMap(environ)}); err != nil {
		return cfg, envError(err)
	}
	if cfg.DB == "" {
		cfg.DB = filepath.Join(cfg.DataDir, "pbx.db")
	}
	return cfg, cfg.Validate()
}

// envError names the variable behind each parse failure; the env library
// names only the Go field.
func envError(err error) error {
	var agg env.AggregateError
	if !errors.As(err, &agg) {
		return fmt.Errorf("environment: %w", err)
	}
	var errs []error
	for _, e := range agg.Errors {
		var pe env.ParseError
		if errors.As(e, &pe) {
			errs = append(errs, fmt.Errorf("%s: %w", envName(reflect.TypeOf(Config{}), pe.Name), pe.Err))
		} else {
			errs = append(errs, e)
		}
	}
	return errors.Join(errs...)
}

func envName(t reflect.Type, field string) string {
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Name == field && f.Tag.Get("env") != "" {
			return f.Tag.Get("env")
		}
		if f.Type.Kind() == reflect.Struct {
			if name := envName(f.Type, field); name != field {
				return name
			}
		}
	}
	return field
}

func toMap(environ []string) map[string]string {
	m := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}

// MinAdminTokenLen is the shortest admin token accepted. It is a password
// and a bearer token; with five guesses a minute per address allowed, 20
// random characters are out of any guesser's reach, while a short word is not.
const MinAdminTokenLen = 20

// Validate reports every bad setting at once, each with the name a user sets.
func (c Config) Validate() error {
	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...)))
	}
	if err := checkHostPort(c.SIP.Addr); err != nil {
		bad("sip.addr (PBX_SIP_ADDR)", "%v", err)
	}
	if err := checkHostPort(c.HTTP.Addr); err != nil {
		bad("http.addr (PBX_HTTP_ADDR)", "%v", err)
	}
	if _, _, err := c.RTPRange(); err != nil {
		bad("rtp_ports (PBX_RTP_PORTS)", "%v", err)
	}
	if c.RTPLearning < 0 || c.RTPLearning > time.Minute {
		bad("rtp_learning (PBX_RTP_LEARNING)", "must be within 0s-1m")
	}
	if c.RTPPortQuarantine < 0 || c.RTPPortQuarantine > 10*time.Minute {
		bad("rtp_port_quarantine (PBX_RTP_PORT_QUARANTINE)", "must be within 0s-10m")
	}
	if c.MediaTimeout < 5*time.Second {
		bad("media_timeout (PBX_MEDIA_TIMEOUT)", "must be at least 5s")
	}
	if c.PublicIP != "" && net.ParseIP(c.PublicIP) == nil {
		bad("public_ip (PBX_PUBLIC_IP)", "%q is not an IP address", c.PublicIP)
	}
	if n := utf8.RuneCountInString(c.AdminToken); n > 0 && n < MinAdminTokenLen {
		bad("admin_token (PBX_ADMIN_TOKEN)", "is %d characters; use at least %d (for example: openssl rand -base64 24)", n, MinAdminTokenLen)
	}
	if c.DataDir == "" {
		bad("data_dir (PBX_DATA_DIR)", "must not be empty")
	}
	if len(c.SIP.Transports) == 0 {
		bad("sip.transports", "name at least one of udp, tcp")
	}
	for _, t := range c.SIP.Transports {
		if t != "udp" && t != "tcp" {
			bad("sip.transports", "%q is not one of udp, tcp", t)
		}
	}
	if c.SIP.Realm == "" || strings.ContainsAny(c.SIP.Realm, "\"\r\n") {
		bad("sip.realm", "must be non-empty and hold no quotes or line breaks")
	}
	if len(c.SIP.Algorithms) == 0 {
		bad("sip.digest_algorithms", "name at least one of MD5, SHA-256")
	}
	for _, a := range c.SIP.Algorithms {
		if a != "MD5" && a != "SHA-256" {
			bad("sip.digest_algorithms", "%q is not one of MD5, SHA-256", a)
		}
	}
	if c.SIP.NonceTTL < 10*time.Second {
		bad("sip.nonce_ttl", "must be at least 10s")
	}
	r := c.SIP.Registrar
	if r.MinExpires < 1 || r.MinExpires > r.DefaultExpires || r.DefaultExpires > r.MaxExpires {
		bad("sip.registrar", "need 1 <= min_expires (%d) <= default_expires (%d) <= max_expires (%d)",
			r.MinExpires, r.DefaultExpires, r.MaxExpires)
	}
	if r.MaxContacts < 1 {
		bad("sip.registrar.max_contacts", "must be at least 1")
	}
	if r.Keepalive < 0 {
		bad("sip.registrar.keepalive", "must not be negative")
	}
	g := c.SIP.Guard
	if g.MaxFailures < 0 {
		bad("sip.guard.max_failures", "must not be negative")
	}
	if g.MaxFailures > 0 && (g.Window <= 0 || g.BlockFor <= 0) {
		bad("sip.guard", "window and block_for must be positive when max_failures is set")
	}
	for _, a := range g.Allow {
		if _, err := netip.ParsePrefix(a); err != nil {
			if _, err := netip.ParseAddr(a); err != nil {
				bad("sip.guard.allow (PBX_GUARD_ALLOW)", "%q is neither a CIDR nor an address", a)
			}
		}
	}
	if c.Cluster.Node != "" {
		if !strings.HasPrefix(c.DB, "postgres://") && !strings.HasPrefix(c.DB, "postgresql://") {
			bad("cluster.node (PBX_NODE)", "node mode needs a postgres:// database (db, PBX_DB)")
		}
		if len(c.Cluster.Node) > 64 || strings.ContainsAny(c.Cluster.Node, " \"\r\n") {
			bad("cluster.node (PBX_NODE)", "must be at most 64 characters, without spaces or quotes")
		}
		if c.Cluster.DeadAfter < 15*time.Second {
			bad("cluster.dead_after (PBX_CLUSTER_DEAD_AFTER)", "must be at least 15s (calls are marked alive every 10s)")
		}
	}
	for _, a := range c.Cluster.Proxies {
		if _, err := netip.ParsePrefix(a); err != nil {
			if _, err := netip.ParseAddr(a); err != nil {
				bad("cluster.proxies (PBX_CLUSTER_PROXIES)", "%q is neither a CIDR nor an address", a)
			}
		}
	}
	if rl := c.SIP.RateLimit; rl.Rate < 0 {
		bad("sip.rate_limit.rate (PBX_SIP_RATE_LIMIT)", "must not be negative")
	} else if rl.Rate > 0 && (rl.Burst < 1 || rl.BlockFor <= 0 || rl.MaxSources < 1) {
		bad("sip.rate_limit", "burst, block_for and max_sources must be positive when rate is set")
	}
	if l := c.SIP.Limits; l.CallsPerUser < 0 || l.CallsPerSource < 0 || l.CallsPerTrunk < 0 {
		bad("sip.limits", "calls_per_user, calls_per_source and calls_per_trunk must not be negative (0 is no cap)")
	}
	b := c.Billing
	if len(b.Currency) != 3 || strings.ToUpper(b.Currency) != b.Currency {
		bad("billing.currency (PBX_CURRENCY)", "%q is not an ISO 4217 code such as USD or EUR", b.Currency)
	}
	if _, err := money.ParseExchangeRate(b.ExchangeRate); err != nil {
		bad("billing.exchange_rate (PBX_EXCHANGE_RATE)", "%v", err)
	}
	if _, err := time.LoadLocation(b.TimeZone); err != nil || b.TimeZone == "" || b.TimeZone == "Local" {
		bad("billing.time_zone (PBX_TIME_ZONE)", "%q is not an IANA time zone such as Europe/Paris or UTC", b.TimeZone)
	}
	if b.BillingDay < 1 || b.BillingDay > 28 {
		bad("billing.billing_day (PBX_BILLING_DAY)", "%d must be 1-28 (every month has it)", b.BillingDay)
	}
	if b.WebhookURL != "" {
		if u, err := url.Parse(b.WebhookURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("billing.webhook_url (PBX_WEBHOOK_URL)", "%q is not an http(s) URL", b.WebhookURL)
		}
		if len(b.WebhookSecret) < 16 {
			bad("billing.webhook_secret (PBX_WEBHOOK_SECRET)", "must be at least 16 characters when a webhook is set")
		}
	}
	if _, ok := b.Weekday(); !ok {
		bad("billing.week_start (PBX_WEEK_START)", "%q is not a day of the week such as monday or sunday", b.WeekStart)
	}
	for name, v := range map[string]string{"billing.unrated_outbound (PBX_UNRATED_OUTBOUND)": b.UnratedOutbound,
		"billing.unrated_inbound (PBX_UNRATED_INBOUND)": b.UnratedInbound} {
		if v != "refuse" && v != "free" {
			bad(name, "%q is not refuse or free", v)
		}
	}
	if a := g.Account; a.MaxFailures < 0 {
		bad("sip.guard.account.max_failures", "must not be negative")
	} else if a.MaxFailures > 0 && (a.Window <= 0 || a.LockFor <= 0) {
		bad("sip.guard.account", "window and lock_for must be positive when max_failures is set")
	}
	tcp := c.SIP.TCP
	if tcp.MessageTimeout < time.Second {
		bad("sip.tcp.message_timeout (PBX_SIP_TCP_MESSAGE_TIMEOUT)", "must be at least 1s")
	}
	if tcp.IdleTimeout < time.Second || tcp.IdleTimeout > tcp.RegisteredIdleTimeout {
		bad("sip.tcp.idle_timeout (PBX_SIP_TCP_IDLE_TIMEOUT)", "must be at least 1s and at most registered_idle_timeout")
	}
	if maxExpires := time.Duration(r.MaxExpires) * time.Second; tcp.RegisteredIdleTimeout <= maxExpires {
		bad("sip.tcp.registered_idle_timeout (PBX_SIP_TCP_REGISTERED_IDLE_TIMEOUT)", "%s must be longer than sip.registrar.max_expires (%s): a phone registered over TCP may send nothing else that long",
			tcp.RegisteredIdleTimeout, maxExpires)
	}
	if tcp.MaxPerSource < 0 {
		bad("sip.tcp.max_per_source (PBX_SIP_TCP_MAX_PER_SOURCE)", "must not be negative")
	}
	if tcp.MaxConnections < 0 {
		bad("sip.tcp.max_connections (PBX_SIP_TCP_MAX_CONNECTIONS)", "must not be negative")
	}
	m := c.Media
	if strings.TrimSpace(m.TTSCommand) == "" {
		bad("media.tts_command (PBX_TTS_COMMAND)", "must not be empty")
	}
	if m.TTSVoice == "" || strings.ContainsAny(m.TTSVoice, " \t\r\n") {
		bad("media.tts_voice (PBX_TTS_VOICE)", "must be a voice name such as en-us, with no spaces")
	}
	if m.TTSSpeed < 80 || m.TTSSpeed > 450 {
		bad("media.tts_speed (PBX_TTS_SPEED)", "%d must be within 80-450 words a minute", m.TTSSpeed)
	}
	if m.URLTimeout < time.Second {
		bad("media.url_timeout (PBX_MEDIA_URL_TIMEOUT)", "must be at least 1s")
	}
	if m.URLMaxBytes < 1024 {
		bad("media.url_max_bytes (PBX_MEDIA_URL_MAX_BYTES)", "must be at least 1024")
	}
	if scheme, _, ok := strings.Cut(m.HoldMusic, "://"); ok && scheme != "http" && scheme != "https" {
		bad("media.hold_music (PBX_HOLD_MUSIC)", "%q must be an http:// or https:// URL or the path of a WAV file", m.HoldMusic)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad("log_level (PBX_LOG_LEVEL)", "%q is not one of debug, info, warn, error", c.LogLevel)
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		bad("log_format (PBX_LOG_FORMAT)", "%q is not one of text, json", c.LogFormat)
	}
	return errors.Join(errs...)
}

// RTPRange returns the low and high ends of RTPPorts.
func (c Config) RTPRange() (low, high int, err error) {
	lo, hi, ok := strings.Cut(c.RTPPorts, "-")
	if !ok {
		return 0, 0, fmt.Errorf("%q is not low-high", c.RTPPorts)
	}
	low, err1 := strconv.Atoi(strings.TrimSpace(lo))
	high, err2 := strconv.Atoi(strings.TrimSpace(hi))
	if err1 != nil || err2 != nil || low < 1024 || high > 65535 || high-low < 1 {
		return 0, 0, fmt.Errorf("%q must be two ports within 1024-65535, low before high", c.RTPPorts)
	}
	return low, high, nil
}

func checkHostPort(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not host:port", addr)
	}
	if host != "" && net.ParseIP(host) == nil && host != "localhost" {
		return fmt.Errorf("%q: host must be an IP address", addr)
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 0 || p > 65535 {
		return fmt.Errorf("%q: port must be 0-65535", addr)
	}
	return nil
}

package sip

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"pbx/configs"
)

// fakeAccounts is an in-memory directory: username -> password.
type fakeAccounts map[string]string

func (f fakeAccounts) Account(_ context.Context, username string) (Account, error) {
	pw, ok := f[username]
	if !ok {
		return Account{}, ErrUnknownAccount
	}
	m := md5.Sum([]byte(username + ":pbx:" + pw))
	s := sha256.Sum256([]byte(username + ":pbx:" + pw))
	return Account{UserID: 7, Username: username, HA1MD5: hex.EncodeToString(m[:]), HA1SHA256: hex.EncodeToString(s[:])}, nil
}

func (f fakeAccounts) Cached(string) bool { return true }

type testServer struct {
	*Server
	addr string
	reg  *prometheus.Registry
	stop func() // stops serving and waits
}

func startServer(t testing.TB, edit func(*configs.SIP)) *testServer {
	t.Helper()
	return startServerWith(t, fakeAccounts{"1001": "alice-secret", "1002": "bob-secret"}, edit)
}

// startServerWith is startServer with its phone users in accounts.
func startServerWith(t testing.TB, accounts Accounts, edit func(*configs.SIP)) *testServer {
	t.Helper()
	cfg := configs.Default().SIP
	cfg.Addr = "127.0.0.1:0"
	cfg.Transports = []string{"udp"}
	cfg.Registrar.Keepalive = 0
	if edit != nil {
		edit(&cfg)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	reg := prometheus.NewRegistry()
	loc := NewLocation(nil, log, cfg.Registrar.MaxContacts, time.Now)
	srv, err := NewServer(cfg, Deps{Accounts: accounts, Location: loc, Metrics: reg, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- srv.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	// Serving means every goroutine of the server has started (the reader
	// answers REGISTERs before the workers are up).
	for deadline := time.Now().Add(2 * time.Second); !srv.serving.Load(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("server not serving after 2s")
		}
	}
	return &testServer{Server: srv, addr: srv.Addr("udp"), reg: reg}
}

// phone is a SIP device built on sipgo, bound to its own loopback port.
type phone struct {
	t      *testing.T
	client *sipgo.Client
	user   string
	server string
	callID string
	cseq   uint32
}

func newPhone(t *testing.T, server, user, host string) *phone {
	t.Helper()
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("test-phone"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ua.Close() })
	c, err := sipgo.NewClient(ua, sipgo.WithClientHostname(host))
	if err != nil {
		t.Fatal(err)
	}
	return &phone{t: t, client: c, user: user, server: server, callID: "call-" + user + "-" + host, cseq: 1}
}

// register sends a REGISTER with the given extra headers and, when
// challenged and password is not empty, answers the challenge.
func (p *phone) register(password string, headers ...sip.Header) *sip.Response {
	p.t.Helper()
	host, port, _ := sip.ParseAddr(p.server)
	req := sip.NewRequest(sip.REGISTER, sip.Uri{Host: host, Port: port})
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{User: p.user, Host: host}})
	req.AppendHeader(&sip.FromHeader{Address: sip.Uri{User: p.user, Host: host}, Params: sip.HeaderParams{{K: "tag", V: "t" + p.callID}}})
	cid := sip.CallIDHeader(p.callID)
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: p.cseq, MethodName: sip.REGISTER})
	p.cseq += 2
	for _, h := range headers {
		req.AppendHeader(h)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	res, err := p.client.Do(ctx, req)
	if err != nil {
		p.t.Fatalf("REGISTER: %v", err)
	}
	if res.StatusCode == 401 && password != "" {
		res, err = p.client.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: p.user, Password: password})
		if err != nil {
			p.t.Fatalf("REGISTER with auth: %v", err)
		}
	}
	return res
}

func contact(uri string) sip.Header { return sip.NewHeader("Contact", uri) }

func TestRegisterFlow(t *testing.T) {
	srv := startServer(t, func(c *configs.SIP) { c.Algorithms = []string{"MD5", "SHA-256"} })
	alice := newPhone(t, srv.addr, "1001", "127.0.0.1")

	res := alice.register("", contact("<sip:1001@127.0.0.1:6001>"))
	if res.StatusCode != 401 || len(res.GetHeaders("WWW-Authenticate")) != 2 {
		t.Fatalf("without credentials: %d with %d challenges, want 401 with MD5 and SHA-256", res.StatusCode, len(res.GetHeaders("WWW-Authenticate")))
	}

	res = alice.register("alice-secret", contact("<sip:1001@127.0.0.1:6001>"), sip.NewHeader("Expires", "300"))
	if res.StatusCode != 200 {
		t.Fatalf("right password: %d %s", res.StatusCode, res.Reason)
	}
	if c := res.GetHeader("Contact"); c == nil || !strings.Contains(c.Value(), "expires=300") {
		t.Fatalf("200 lists contact %v, want expires=300", c)
	}

	// A second device of the same user.
	res = alice.register("alice-secret", contact("<sip:1001@127.0.0.1:6002>;expires=120"))
	if res.StatusCode != 200 || len(res.GetHeaders("Contact")) != 2 {
		t.Fatalf("second device: %d with %d contacts, want 200 with 2", res.StatusCode, len(res.GetHeaders("Contact")))
	}
	if n := len(srv.Location().Lookup("1001")); n != 2 {
		t.Fatalf("location holds %d bindings, want 2", n)
	}

	res = alice.register("alice-secret", contact("<sip:1001@127.0.0.1:6003>"), sip.NewHeader("Expires", "10"))
	if res.StatusCode != 423 || res.GetHeader("Min-Expires") == nil {
		t.Fatalf("expires below minimum: %d, want 423 with Min-Expires", res.StatusCode)
	}

	res = alice.register("alice-secret", contact("<sip:1001@127.0.0.1:6001>"), sip.NewHeader("Expires", "999999"))
	if c := res.GetHeaders("Contact"); res.StatusCode != 200 || !strings.Contains(c[0].Value()+c[len(c)-1].Value(), "expires=3600") {
		t.Fatalf("expires above maximum: %d %v, want clamped to 3600", res.StatusCode, c)
	}

	res = alice.register("alice-secret") // a query
	if res.StatusCode != 200 || len(res.GetHeaders("Contact")) != 2 {
		t.Fatalf("query: %d with %d contacts", res.StatusCode, len(res.GetHeaders("Contact")))
	}

	res = alice.register("alice-secret", contact("<sip:1001@127.0.0.1:6002>"), sip.NewHeader("Expires", "0"))
	if res.StatusCode != 200 || len(res.GetHeaders("Contact")) != 1 {
		t.Fatalf("un-register one device: %d with %d contacts left", res.StatusCode, len(res.GetHeaders("Contact")))
	}

	res = alice.register("alice-secret", contact("*"))
	if res.StatusCode != 400 {
		t.Fatalf("Contact * without Expires: 0 got %d, want 400", res.StatusCode)
	}
	res = alice.register("alice-secret", contact("*"), sip.NewHeader("Expires", "0"))
	if res.StatusCode != 200 || srv.Location().Count() != 0 {
		t.Fatalf("Contact *: %d, %d bindings left", res.StatusCode, srv.Location().Count())
	}

	got := testutil.ToFloat64(srv.metrics.requests.WithLabelValues("REGISTER", "200"))
	if got < 6 {
		t.Fatalf("pbx_sip_requests_total{REGISTER,200} = %v", got)
	}
}

// slowAccounts is a directory whose account "1002" is not in memory: its
// lookup waits until release is closed, as a database read can.
type slowAccounts struct {
	fakeAccounts
	release chan struct{}
}

func (s slowAccounts) Account(ctx context.Context, username string) (Account, error) {
	if username == "1002" {
		<-s.release
	}
	return s.fakeAccounts.Account(ctx, username)
}

func (s slowAccounts) Cached(username string) bool { return username != "1002" }

// The socket's reader answers a REGISTER whose account is in memory
// itself; one that must wait for its account goes to a worker, so a slow
// database read holds up that phone only.
func TestRegisterWaitingForItsAccountHoldsUpNoOther(t *testing.T) {
	accounts := slowAccounts{fakeAccounts: fakeAccounts{"1001": "alice-secret", "1002": "bob-secret"}, release: make(chan struct{})}
	release := sync.OnceFunc(func() { close(accounts.release) })
	srv := startServerWith(t, accounts, nil)
	t.Cleanup(release) // first: the server stops only once no lookup waits
	bob := newPhone(t, srv.addr, "1002", "127.0.0.2")
	bobDone := make(chan *sip.Response, 1)
	go func() { bobDone <- bob.register("bob-secret", contact("<sip:1002@127.0.0.2:6002>")) }()

	// Bob's credentials reach the server and wait for his account.
	deadline := time.Now().Add(3 * time.Second)
	for testutil.ToFloat64(srv.metrics.requests.WithLabelValues("REGISTER", "401")) < 1 {
		if time.Now().After(deadline) {
			t.Fatal("bob was never challenged")
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)

	alice := newPhone(t, srv.addr, "1001", "127.0.0.1")
	if res := alice.register("alice-secret", contact("<sip:1001@127.0.0.1:6001>")); res.StatusCode != 200 {
		t.Fatalf("alice registering while bob's account is read: %d %s", res.StatusCode, res.Reason)
	}
	select {
	case res := <-bobDone:
		t.Fatalf("bob answered %d before his account was read", res.StatusCode)
	default:
	}
	release()
	if res := <-bobDone; res.StatusCode != 200 {
		t.Fatalf("bob once his account is read: %d %s", res.StatusCode, res.Reason)
	}
}

func TestRegisterRefusesOthers(t *testing.T) {
	srv := startServer(t, nil)

	wrong := newPhone(t, srv.addr, "1001", "127.0.0.1")
	if res := wrong.register("not-the-password", contact("<sip:1001@127.0.0.1:6001>")); res.StatusCode != 403 {
		t.Fatalf("wrong password: %d, want 403", res.StatusCode)
	}
	ghost := newPhone(t, srv.addr, "4242", "127.0.0.1")
	if res := ghost.register("whatever-pass", contact("<sip:4242@127.0.0.1:6001>")); res.StatusCode != 403 {
		t.Fatalf("unknown user: %d, want 403 like a wrong password", res.StatusCode)
	}
	if res := ghost.register("", contact("<sip:4242@127.0.0.1:6001>")); res.StatusCode != 401 {
		t.Fatalf("unknown user without credentials: %d, want 401 like a known one", res.StatusCode)
	}
	if n := srv.Location().Count(); n != 0 {
		t.Fatalf("%d bindings after refused registrations", n)
	}
	if got := testutil.ToFloat64(srv.metrics.authFailures); got != 2 {
		t.Fatalf("auth failures = %v, want 2", got)
	}
}

func TestRegisterAnotherUsersAOR(t *testing.T) {
	srv := startServer(t, nil)
	// Bob proves who he is but asks to register Alice's AOR.
	p := newPhone(t, srv.addr, "1001", "127.0.0.1")
	host, port, _ := sip.ParseAddr(srv.addr)
	req := sip.NewRequest(sip.REGISTER, sip.Uri{Host: host, Port: port})
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{User: "1001", Host: host}})
	req.AppendHeader(contact("<sip:1001@127.0.0.1:6666>"))
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	res, err := p.client.Do(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	res, err = p.client.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: "1002", Password: "bob-secret"})
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 403 || srv.Location().Count() != 0 {
		t.Fatalf("got %d and %d bindings, want 403 and none", res.StatusCode, srv.Location().Count())
	}
}

func TestGuardDropsBlockedSource(t *testing.T) {
	srv := startServer(t, func(c *configs.SIP) { c.Guard.MaxFailures = 3 })
	attacker := newPhone(t, srv.addr, "1001", "127.0.0.1")
	for i := range 3 {
		if res := attacker.register("guess-"+string(rune('a'+i)), contact("<sip:1001@127.0.0.1:6001>")); res.StatusCode != 403 {
			t.Fatalf("guess %d: %d", i, res.StatusCode)
		}
	}
	// Now even the right password gets no answer at all from this address.
	host, port, _ := sip.ParseAddr(srv.addr)
	req := sip.NewRequest(sip.OPTIONS, sip.Uri{Host: host, Port: port})
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if res, err := attacker.client.Do(ctx, req); err == nil {
		t.Fatalf("blocked source got %d", res.StatusCode)
	}
	if testutil.ToFloat64(srv.metrics.blockedPackets) == 0 {
		t.Fatal("blocked packets not counted")
	}
}

func TestOptionsAnswered(t *testing.T) {
	srv := startServer(t, nil)
	p := newPhone(t, srv.addr, "1001", "127.0.0.1")
	host, port, _ := sip.ParseAddr(srv.addr)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	res, err := p.client.Do(ctx, sip.NewRequest(sip.OPTIONS, sip.Uri{Host: host, Port: port}))
	if err != nil || res.StatusCode != 200 || res.GetHeader("Allow") == nil {
		t.Fatalf("OPTIONS: %v %v", res, err)
	}
}

func TestRegisterWithSHA256(t *testing.T) {
	srv := startServer(t, func(c *configs.SIP) { c.Algorithms = []string{"SHA-256"} })
	p := newPhone(t, srv.addr, "1001", "127.0.0.1")
	res := p.register("", contact("<sip:1001@127.0.0.1:6001>"))
	if h := res.GetHeader("WWW-Authenticate"); h == nil || !strings.Contains(h.Value(), "algorithm=SHA-256") {
		t.Fatalf("challenge %v, want SHA-256", h)
	}
	if res := p.register("alice-secret", contact("<sip:1001@127.0.0.1:6001>")); res.StatusCode != 200 {
		t.Fatalf("SHA-256 digest: %d", res.StatusCode)
	}
	if res := p.register("wrong-secret", contact("<sip:1001@127.0.0.1:6001>")); res.StatusCode != 403 {
		t.Fatalf("SHA-256 digest with a wrong password: %d", res.StatusCode)
	}
}

package sip

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/prometheus/client_golang/prometheus"

	"pbx/configs"
	"pbx/media"
	"pbx/rawudp"
)

// Server is the SIP edge: listeners, transaction layer and request handlers.
type Server struct {
	cfg     configs.SIP
	log     *slog.Logger
	now     func() time.Time
	ua      *sipgo.UserAgent
	srv     *sipgo.Server
	loc     *Location
	guard   *Guard
	lockout *Lockout
	metrics *Metrics
	reg     *Registrar
	auth    *Authenticator
	trunks  *Trunks
	parser  *sip.Parser
	// pike drops requests from sources that send too many.
	pike *Pike
	// allow are networks never blocked or rate-limited (sip.guard.allow).
	allow []netip.Prefix
	// admitted carries accounts from beforeTransaction to the handlers.
	admitted admissions
	// registers carries stateless REGISTERs from the readers to the workers.
	registers chan *sip.Request
	// bufs hold stateless answers while they are written (*bytes.Buffer):
	// serialised into a grown buffer a response costs no allocation, where
	// String grew a builder several times and copied it once more.
	bufs sync.Pool
	// tagSeed keys the To tags of stateless answers (statelessTag).
	tagSeed maphash.Seed

	udp net.PacketConn
	tcp *tcpListener
	// down is why serving stopped (an error), nil while it serves.
	down    atomic.Pointer[error]
	serving atomic.Bool

	// Calls.
	router    Router
	ports     *media.PortPool
	limits    *limits
	mediaIP   netip.Addr
	deadAfter time.Duration
	holdMusic *media.Clip
	onFree    func(user uint)
	onBusy    func(user uint, busy bool)
	proxies   proxies
	client    *sipgo.Client
	contact   sip.ContactHeader
	callers   *sipgo.DialogServerCache
	agents    *sipgo.DialogClientCache
	callsMu   sync.Mutex
	active    map[uint]int       // bridged calls per user
	calls     map[*Call]struct{} // calls in progress, ended on shutdown
	callWG    sync.WaitGroup
	legs      map[string]leg // bridged call legs by dialog ID
	// unbridged counts the agent legs a call left behind (Dial): INVITEs
	// still out when the ring ended, answers to hang up. Closing the UA ends
	// their transactions; shutdown waits for them after that. Once it waits
	// (legsClosed, under callsMu), new ones are not counted.
	unbridged  sync.WaitGroup
	legsClosed bool
}

// Deps are what the Server is built from.
type Deps struct {
	Accounts Accounts
	Location *Location
	// Trunks admits calls from carriers' networks; nil admits none.
	Trunks  *Trunks
	Metrics prometheus.Registerer
	Log     *slog.Logger
	// Now is the clock; nil means the system clock.
	Now func() time.Time

	// Router takes admitted calls; nil answers them 480.
	Router Router
	// Ports hands out media ports; calls need it.
	Ports *media.PortPool
	// PublicIP is advertised in Contact and SDP; unset means the listening
	// address, or the first non-loopback one when listening on all.
	PublicIP string
	// DeadMedia ends a bridged call that carries no RTP for this long.
	DeadMedia time.Duration
	// HoldMusic is what a caller hears while the agent holds the call; nil
	// means the built-in music.
	HoldMusic *media.Clip
	// OnFree, when set, hears that a user's last bridged call ended.
	OnFree func(user uint)
	// OnBusy, when set, hears that a user's first bridged call began
	// (busy) or their last ended (not): in node mode, the other nodes
	// must know.
	OnBusy func(user uint, busy bool)
	// Proxies are the SIP load balancers in front of this node
	// (cluster.proxies): Path and X-PBX-Source are believed from them only.
	Proxies []string
	// NonceKey signs digest nonces; nodes that share it accept each
	// other's challenges. Nil: a random key for this run.
	NonceKey []byte
}

// registerQueue is how many REGISTERs may wait for a worker. It bounds the
// wait well under T1 (500 ms; 512 is about 60 ms of work at 8,000/s): past
// T1 a phone retransmits, and a long queue then holds both copies, so
// overload doubled the work and snowballed. Beyond it a REGISTER is shed
// and its retransmission answered.
const registerQueue = 512

// udpReadBuffer is the SIP UDP socket's receive buffer size.
const udpReadBuffer = 4 << 20

// NewServer builds the SIP edge. Nothing listens until Listen.
func NewServer(cfg configs.SIP, d Deps) (*Server, error) {
	now := d.Now
	if now == nil {
		now = systemClock
	}
	s := &Server{cfg: cfg, log: d.Log, now: now, loc: d.Location, parser: sip.NewParser(),
		registers: make(chan *sip.Request, registerQueue)}
	s.bufs.New = func() any { return bytes.NewBuffer(make([]byte, 0, 2048)) }
	s.tagSeed = maphash.MakeSeed()
	s.trunks = d.Trunks
	s.guard = NewGuard(cfg.Guard.MaxFailures, cfg.Guard.Window, cfg.Guard.BlockFor, s.exempt, now)
	for _, a := range cfg.Guard.Allow {
		if p, err := parseCIDR(a); err == nil {
			s.allow = append(s.allow, p)
		}
	}
	rl := cfg.RateLimit
	s.pike = NewPike(rl.Rate, rl.Burst, rl.BlockFor, rl.MaxSources, s.exempt, now)
	s.metrics = NewMetrics(d.Metrics, s.loc, s.guard, func() int {
		s.callsMu.Lock()
		defer s.callsMu.Unlock()
		return len(s.calls)
	})
	s.lockout = NewLockout(cfg.Guard.Account.MaxFailures, cfg.Guard.Account.Window, cfg.Guard.Account.LockFor, now)
	for _, a := range d.Proxies {
		if p, err := parseCIDR(a); err == nil {
			s.proxies = append(s.proxies, p)
		}
	}
	digest := NewDigest(cfg.Realm, cfg.Algorithms, cfg.NonceTTL, cfg.NonceBindSource, now)
	if d.NonceKey != nil {
		digest = NewDigestWithKey(cfg.Realm, cfg.Algorithms, cfg.NonceTTL, cfg.NonceBindSource, now, d.NonceKey)
	}
	s.auth = NewAuthenticator(digest,
		s.guard, s.lockout, d.Accounts, s.loc, s.metrics, d.Log)
	s.reg = NewRegistrar(cfg.Registrar, s.auth, s.loc, d.Log, now)
	s.reg.proxies = s.proxies
	s.router, s.ports, s.deadAfter = d.Router, d.Ports, d.DeadMedia
	s.limits = newLimits(cfg.Limits)
	if s.ports != nil {
		registerPorts(d.Metrics, s.ports)
	}
	s.holdMusic, s.onFree, s.onBusy = d.HoldMusic, d.OnFree, d.OnBusy
	if s.holdMusic == nil {
		s.holdMusic = media.HoldMusic()
	}
	s.active, s.legs, s.calls = make(map[uint]int), make(map[string]leg), make(map[*Call]struct{})
	if s.deadAfter == 0 {
		s.deadAfter = 30 * time.Second
	}
	if d.PublicIP != "" {
		s.mediaIP, _ = netip.ParseAddr(d.PublicIP)
	}

	ua, err := sipgo.NewUA(
		sipgo.WithUserAgent(cfg.UserAgent),
		sipgo.WithUserAgentTransportLayerOptions(
			sip.WithTransportLayerReadFilter(s.readFilter),
			sip.WithTransportLayerParseErrorHandler(s.unparsable)),
		sipgo.WithUserAgentTransactionLayerOptions(
			sip.WithTransactionLayerStatelessHandler(s.beforeTransaction),
			// A response that matches none of our requests is dropped
			// (RFC 3261 17.1.3); logging each would let a flood of forged
			// ones fill the log.
			sip.WithTransactionLayerUnhandledResponseHandler(func(r *sip.Response) {
				s.log.Debug("response matches no transaction", "remote", r.Source(), "status", r.StatusCode)
			})),
	)
	if err != nil {
		return nil, fmt.Errorf("sip user agent: %w", err)
	}
	s.ua = ua
	if s.srv, err = sipgo.NewServer(ua, sipgo.WithServerLogger(d.Log)); err != nil {
		return nil, fmt.Errorf("sip server: %w", err)
	}
	// Every handler is registered before listening: sipgo's handler map is not synchronised.
	s.srv.OnRegister(s.counted(func(req *sip.Request, tx sip.ServerTransaction) { s.reg.ServeRegister(req, tx) }))
	s.srv.OnOptions(s.counted(s.serveOptions))
	s.srv.OnInvite(s.counted(s.serveInvite))
	s.srv.OnAck(s.serveAck)
	s.srv.OnBye(s.counted(s.serveBye))
	s.srv.OnInfo(s.counted(s.serveInfo))
	s.srv.OnCancel(s.counted(func(req *sip.Request, tx sip.ServerTransaction) {
		// sipgo answers a CANCEL that matches a pending INVITE itself.
		respond(tx, req, 481, "Call/Transaction Does Not Exist", nil)
	}))
	s.srv.OnNoRoute(s.counted(s.serveNotAllowed))
	return s, nil
}

// Listen opens the configured listeners, so that a busy port fails start-up
// before anything is served.
func (s *Server) Listen() error {
	for _, t := range s.cfg.Transports {
		switch t {
		case "udp":
			// Read by a thread blocked in the kernel, in batches, rather
			// than through the runtime's poller: see rawudp.Conn.
			c, err := rawudp.Listen(s.cfg.Addr)
			if err != nil {
				return fmt.Errorf("sip udp: %w", err)
			}
			// The default (about 200 KiB) holds some 10 ms of a busy hour's
			// REGISTERs: a reader held up longer, by the collector or a
			// loaded machine, and datagrams were dropped, each one a
			// retransmission half a second later. The kernel caps it at
			// net.core.rmem_max.
			_ = c.SetReadBuffer(udpReadBuffer)
			s.udp = c
		case "tcp":
			l, err := net.Listen("tcp", s.cfg.Addr)
			if err != nil {
				return fmt.Errorf("sip tcp: %w", err)
			}
			s.tcp = newTCPListener(l, s.cfg.TCP, s.log, s.metrics, s.now)
		}
	}
	return s.dialogs()
}

// dialogs sets up the client and dialog caches calls use, now that the
// listening addresses are known: requests leave from the UDP listener
// itself, the address phones and carriers know.
func (s *Server) dialogs() error {
	host, port := s.advertised()
	opts := []sipgo.ClientOption{sipgo.WithClientLogger(s.log), sipgo.WithClientHostname(host)}
	if s.udp != nil {
		opts = append(opts, sipgo.WithClientConnectionAddr(s.udp.LocalAddr().String()))
	}
	c, err := sipgo.NewClient(s.ua, opts...)
	if err != nil {
		return fmt.Errorf("sip client: %w", err)
	}
	s.client = c
	s.contact = sip.ContactHeader{Address: sip.Uri{Scheme: "sip", Host: host, Port: port}}
	s.callers = sipgo.NewDialogServerCache(c, s.contact)
	s.agents = sipgo.NewDialogClientCache(c, s.contact)
	if !s.mediaIP.IsValid() {
		s.mediaIP, _ = netip.ParseAddr(host)
	}
	return nil
}

// advertised returns the host and port to put in Contact and Via: the
// public IP if set, else the listening IP, else the first non-loopback
// address of this machine.
func (s *Server) advertised() (string, int) {
	var laddr string
	if s.udp != nil {
		laddr = s.udp.LocalAddr().String()
	} else if s.tcp != nil {
		laddr = s.tcp.Addr().String()
	}
	ap, _ := netip.ParseAddrPort(laddr)
	host := ap.Addr().Unmap()
	if s.mediaIP.IsValid() {
		return s.mediaIP.String(), int(ap.Port())
	}
	if host.IsValid() && !host.IsUnspecified() {
		return host.String(), int(ap.Port())
	}
	if addrs, err := net.InterfaceAddrs(); err == nil {
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil {
				return n.IP.String(), int(ap.Port())
			}
		}
	}
	return "127.0.0.1", int(ap.Port())
}

// readers is how many goroutines read the SIP UDP socket on procs cores.
func readers(procs int) int { return max(1, procs/2) }

// Addr returns the local address of the transport's listener ("udp" or "tcp"), or "".
func (s *Server) Addr(transport string) string {
	switch {
	case transport == "udp" && s.udp != nil:
		return s.udp.LocalAddr().String()
	case transport == "tcp" && s.tcp != nil:
		return s.tcp.Addr().String()
	}
	return ""
}

// Serve answers requests on the listeners until ctx ends, then closes them.
// A listener that fails ends serving early with its error.
func (s *Server) Serve(ctx context.Context) error {
	// Stopped on a listener's failure too, not only by the caller: the
	// workers below wait on it.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, runtime.GOMAXPROCS(0)+1)
	if s.udp != nil {
		// Parsing, and answering a REGISTER whose account is in memory,
		// happen on the reading goroutine, blocked in recvmmsg between
		// batches. Half the cores read: with a P left idle the runtime
		// does not take a blocked reader's P away and hand it to another
		// thread (bench/RESULTS.md, issue 14 round 5: on 2 cores, 2 readers
		// handing REGISTERs to workers cost 80% CPU at 12,000/s, 1 reader
		// answering them 56%, 2 readers answering them 67%).
		for range readers(runtime.GOMAXPROCS(0)) {
			wg.Go(func() { errs <- s.srv.ServeUDP(s.udp) })
		}
	}
	if s.tcp != nil {
		wg.Go(func() { errs <- s.srv.ServeTCP(s.tcp) })
	}
	s.awaitListener()
	wg.Go(func() { s.maintain(ctx) })
	wg.Go(func() { s.registerTrunks(ctx) })
	// Long-lived workers, not a goroutine per packet: their stacks are
	// already grown, and a full queue sheds load instead of piling it up.
	for range 4 * runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case req := <-s.registers:
					s.reg.ServeRegister(req, &statelessResponder{s: s, method: "REGISTER"})
				}
			}
		})
	}
	s.log.Info("sip listening", "udp", s.Addr("udp"), "tcp", s.Addr("tcp"))
	s.serving.Store(true)

	var err error
	select {
	case <-ctx.Done():
	case err = <-errs:
		if err == nil || errors.Is(err, net.ErrClosed) {
			err = errors.New("listener closed")
		}
		err = fmt.Errorf("sip stopped serving: %w", err)
		s.down.Store(&err)
	}
	s.serving.Store(false)
	cancel()
	s.endCalls(3 * time.Second)
	if s.trunks != nil {
		s.unregisterTrunks()
	}
	if s.udp != nil {
		s.udp.Close()
	}
	if s.tcp != nil {
		s.tcp.Close()
	}
	s.ua.Close()
	s.callsMu.Lock()
	s.legsClosed = true
	s.callsMu.Unlock()
	waitFor(&s.unbridged, 2*time.Second, func() { s.log.Warn("agent legs still ending after the UA closed") })
	wg.Wait()
	return err
}

// goLeg runs f, the end of an agent leg no call waits for, on its own
// goroutine, counted in unbridged unless shutdown is already waiting.
func (s *Server) goLeg(f func()) {
	s.callsMu.Lock()
	counted := !s.legsClosed
	if counted {
		s.unbridged.Add(1)
	}
	s.callsMu.Unlock()
	go func() {
		if counted {
			defer s.unbridged.Done()
		}
		f()
	}()
}

// waitFor waits for wg at most for d, and calls late if that was not enough.
func waitFor(wg *sync.WaitGroup, d time.Duration, late func()) {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
		late()
	}
}

// Health returns nil while SIP requests are being answered, else why not:
// serving has not begun or has stopped, or the TCP listener has been unable
// to accept connections for a while.
func (s *Server) Health() error {
	if err := s.down.Load(); err != nil {
		return *err
	}
	if !s.serving.Load() {
		return ErrNotServing
	}
	if s.tcp != nil {
		return s.tcp.health()
	}
	return nil
}

// maintain expires bindings, forgets old guard entries and keeps NAT
// bindings of registered devices open.
func (s *Server) maintain(ctx context.Context) {
	expiry := time.NewTicker(5 * time.Second)
	defer expiry.Stop()
	resolve := time.NewTicker(5 * time.Minute) // carriers' host names, for the guard
	defer resolve.Stop()
	var keepalive <-chan time.Time
	if s.cfg.Registrar.Keepalive > 0 {
		t := time.NewTicker(s.cfg.Registrar.Keepalive)
		defer t.Stop()
		keepalive = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-expiry.C:
			s.loc.Expire()
			s.guard.Sweep()
			s.admitted.sweep(s.now().Add(-time.Minute))
			s.lockout.Sweep()
		case <-resolve.C:
			if s.trunks != nil {
				s.trunks.Resolve(ctx)
			}
		case <-keepalive:
			s.keepalive()
		}
	}
}

// keepalive sends each device behind NAT a packet so its NAT keeps the
// binding open: an OPTIONS over UDP, a CRLF pair over TCP (RFC 5626 3.5.1).
func (s *Server) keepalive() {
	for _, b := range s.loc.All() {
		if !b.NAT {
			continue
		}
		switch b.Transport {
		case "udp":
			if s.udp != nil {
				s.ping(b)
			}
		case "tcp":
			conn, err := s.ua.TransportLayer().GetConnection("tcp", b.Source)
			if err != nil || conn == nil {
				continue
			}
			if w, ok := conn.(io.Writer); ok {
				_, _ = w.Write([]byte("\r\n\r\n"))
			}
		}
	}
}

// ping sends an OPTIONS to a UDP device from the listening socket itself:
// a NAT that filters by endpoint only lets in packets from the address the
// device sent its REGISTER to. Nothing waits for the answer; the packet out is
// what keeps the binding open.
func (s *Server) ping(b Binding) {
	var uri sip.Uri
	if err := sip.ParseUri(b.Contact, &uri); err != nil {
		return
	}
	dst, err := net.ResolveUDPAddr("udp", b.Source)
	if err != nil {
		return
	}
	host, port, err := sip.ParseAddr(s.udp.LocalAddr().String())
	if err != nil {
		return
	}
	req := sip.NewRequest(sip.OPTIONS, uri)
	req.AppendHeader(&sip.ViaHeader{ProtocolName: "SIP", ProtocolVersion: "2.0", Transport: "UDP",
		Host: host, Port: port, Params: sip.HeaderParams{{K: "branch", V: sip.GenerateBranch()}}})
	req.AppendHeader(&sip.FromHeader{Address: sip.Uri{Scheme: "sip", Host: host, Port: port},
		Params: sip.HeaderParams{{K: "tag", V: sip.GenerateTagN(10)}}})
	req.AppendHeader(&sip.ToHeader{Address: uri})
	callID := sip.CallIDHeader(sip.GenerateTagN(16))
	req.AppendHeader(&callID)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: 1, MethodName: sip.OPTIONS})
	maxFwd := sip.MaxForwardsHeader(70)
	req.AppendHeader(&maxFwd)
	req.AppendHeader(sip.NewHeader("User-Agent", s.cfg.UserAgent))
	req.AppendHeader(sip.NewHeader("Content-Length", "0"))
	if _, err := s.udp.WriteTo([]byte(req.String()), dst); err != nil {
		s.log.Debug("keepalive", "user", b.AOR, "remote", b.Source, "error", err)
	}
}

// Location returns the server's location service.
func (s *Server) Location() *Location { return s.loc }

// exempt reports whether ip is never rate-limited, nor counted or blocked
// by the guard: a carrier trunk's address (its inbound networks, what its
// host is or resolves to) or one on the allow-list.
func (s *Server) exempt(ip netip.Addr) bool {
	for _, p := range s.allow {
		if p.Contains(ip) {
			return true
		}
	}
	return s.trunks != nil && s.trunks.Trusted(ip)
}

// readFilter sees every packet before sipgo parses it. It drops packets from
// blocked sources and from sources over the rate limit, and takes REGISTERs
// over UDP off sipgo's transaction layer: the registrar answers them
// statelessly, as registrars usually do, because a REGISTER is safe to
// process twice and a server transaction would hold its request and
// response for 32 s (Timer J) to absorb retransmissions that re-processing
// answers just as well. A REGISTER that needs no database read is answered
// on the reading goroutine itself (Registrar.ServeImmediate); the others go to
// the workers, so a slow read holds up only its own phone.
func (s *Server) readFilter(p sip.TransportReadProps, data []byte) ([]byte, error) {
	// src is written as the Guard's keys are (sourceIP of the request's
	// source), IPv4-mapped or not; the rate limit unmaps it itself.
	var src netip.Addr
	switch a := p.RemoteAddr.(type) {
	case *net.UDPAddr:
		src = a.AddrPort().Addr()
	case *net.TCPAddr:
		src = a.AddrPort().Addr()
	}
	if s.guard.max > 0 && src.IsValid() && s.guard.Blocked(src.String()) {
		s.metrics.blockedPackets.Inc()
		return nil, nil
	}
	// Only requests count: answers to our own requests are matched by
	// their transactions, and an agent's phone answering a busy day's
	// calls is no flood.
	if src.IsValid() && !bytes.HasPrefix(data, []byte("SIP/")) && !s.pike.Allow(src) {
		s.metrics.rateLimited.Inc()
		return nil, nil
	}
	if p.Transport != "UDP" || !bytes.HasPrefix(data, []byte("REGISTER ")) || s.udp == nil {
		return data, nil
	}
	msg, err := s.parser.ParseSIP(data)
	if err != nil {
		return data, nil // sipgo answers or drops what it cannot parse
	}
	req, ok := msg.(*sip.Request)
	if !ok || req.Via() == nil || req.CSeq() == nil || req.CallID() == nil || req.From() == nil {
		return data, nil
	}
	req.SetTransport("UDP")
	if a, ok := p.RemoteAddr.(*net.UDPAddr); ok {
		// Written as UDPAddr.String writes it (an IPv4 peer of a dual-stack
		// socket unmapped), in one allocation where that makes four.
		ap := a.AddrPort()
		req.SetSource(netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()).String())
	} else {
		req.SetSource(p.RemoteAddr.String())
	}
	if code, reason, hdrs := check(req); code != 0 {
		respond(&statelessResponder{s: s, method: "REGISTER"}, req, code, reason, hdrs)
		return nil, nil
	}
	// Answered here when it can be: handing it to a worker would cost
	// more than answering it (a goroutine woken, a P handed over).
	if s.reg.ServeImmediate(req, &statelessResponder{s: s, method: "REGISTER"}) {
		return nil, nil
	}
	select {
	case s.registers <- req:
	default:
		s.metrics.shed.Inc() // overloaded: the phone will retransmit
	}
	return nil, nil
}

func (s *Server) serveOptions(req *sip.Request, tx sip.ServerTransaction) { answerOptions(tx, req) }

// answerOptions says what this server supports (RFC 3261 11.2).
func answerOptions(w Responder, req *sip.Request) {
	respond(w, req, 200, "OK", []sip.Header{
		sip.NewHeader("Allow", allowed),
		sip.NewHeader("Accept", "application/sdp"),
		sip.NewHeader("Accept-Language", "en"),
	})
}

func (s *Server) serveNotAllowed(req *sip.Request, tx sip.ServerTransaction) { notAllowed(tx, req) }

// notAllowed refuses a method this server knows but does not serve.
func notAllowed(w Responder, req *sip.Request) {
	if req.IsAck() {
		return // an ACK gets no answer
	}
	respond(w, req, 405, "Method Not Allowed", []sip.Header{sip.NewHeader("Allow", allowed)})
}

// counted wraps a handler so every final response is counted by method and
// code, and carries our Server header.
func (s *Server) counted(h sipgo.RequestHandler) sipgo.RequestHandler {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		if tx == nil {
			h(req, tx)
			return
		}
		ctx := &countingTx{ServerTransaction: tx, s: s, method: methodLabel(req.Method)}
		if code, reason, hdrs := check(req); code != 0 {
			respond(ctx, req, code, reason, hdrs)
			return
		}
		h(req, ctx)
	}
}

type countingTx struct {
	sip.ServerTransaction
	s      *Server
	method string
}

func (t *countingTx) Respond(res *sip.Response) error {
	t.s.count(t.method, res)
	return t.ServerTransaction.Respond(res)
}

// count records a final response and adds our Server header.
func (s *Server) count(method string, res *sip.Response) {
	if res.StatusCode >= 200 {
		s.metrics.answer(method, res.StatusCode)
	}
	if res.GetHeader("Server") == nil {
		res.AppendHeader(sip.NewHeader("Server", s.cfg.UserAgent))
	}
}

// SetProcessLogger routes sipgo's own process-wide logging to log, at most
// 20 records a second. Call it once, before NewServer.
func SetProcessLogger(log *slog.Logger) {
	sip.SetDefaultLogger(slog.New(newThrottle(log.Handler(), 20, time.Now)))
}

// awaitListener waits (a moment at most) until sipgo serves the UDP
// listener: the PBX's own requests (trunk registrations, calls) leave from
// it, and sipgo finds it only once serving has begun.
func (s *Server) awaitListener() {
	if s.udp == nil {
		return
	}
	addr := s.udp.LocalAddr().String()
	for range 200 {
		if c, _ := s.ua.TransportLayer().GetConnection("udp", addr); c != nil {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	s.log.Warn("sip listener not served after 1s", "addr", addr)
}

// ErrShutdown is the cause given to calls ended because the server stops.
var ErrShutdown = errors.New("server shutting down")

// endCalls hangs up every call in progress (BYE to both sides, records
// written) and waits for them, at most for grace, before the listeners close.
func (s *Server) endCalls(grace time.Duration) {
	s.callsMu.Lock()
	n := len(s.calls)
	for c := range s.calls {
		c.cancel(ErrShutdown)
	}
	s.callsMu.Unlock()
	if n == 0 {
		return
	}
	s.log.Info("ending calls", "count", n)
	done := make(chan struct{})
	go func() { s.callWG.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(grace):
		s.log.Warn("calls still ending after the grace period", "grace", grace.String())
	}
}

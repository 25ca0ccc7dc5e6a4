package sip

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/goleak"

	"pbx/configs"
	"pbx/media"
)

// userRouter rings one user, as a flow's transfer to a user would, for
// ring (5 s if zero).
type userRouter struct {
	user    uint
	outcome chan error
	ring    time.Duration
}

func (r *userRouter) Route(ctx context.Context, c *Call, in Inbound) {
	c.Ring()
	ring := r.ring
	if ring == 0 {
		ring = 5 * time.Second
	}
	if _, err := c.Dial(ctx, []uint{r.user}, ring); err != nil {
		r.outcome <- err
		code := map[error]int{ErrBusy: 486, ErrNoAnswer: 480, ErrUnavailable: 480}[err]
		if code == 0 {
			code = 487
		}
		c.reject(code, "Failed")
		return
	}
	r.outcome <- c.Wait(ctx)
}

// rtpPeer is a phone's media socket.
type rtpPeer struct{ conn *net.UDPConn }

func newRTPPeer(t *testing.T) *rtpPeer {
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &rtpPeer{c}
}

func (p *rtpPeer) port() int { return p.conn.LocalAddr().(*net.UDPAddr).Port }

func (p *rtpPeer) sdp(t *testing.T) []byte {
	return media.Offer(media.Local{Addr: netip.MustParseAddr("127.0.0.1"), Port: p.port(), SessionID: 1, Version: 1}, media.SendRecv).Marshal()
}

// packet is a PCMU RTP packet with sequence number seq.
func packet(seq uint16) []byte {
	b := make([]byte, 12+160)
	b[0], b[1] = 0x80, 0
	b[2], b[3] = byte(seq>>8), byte(seq)
	b[11] = 7 // ssrc
	return b
}

func startCallServer(t *testing.T, router Router) (*testServer, *Location) {
	t.Helper()
	return startCallServerWith(t, router, nil)
}

// startCallServerWith is startCallServer with the SIP settings edit changes.
func startCallServerWith(t *testing.T, router Router, edit func(*configs.SIP)) (*testServer, *Location) {
	t.Helper()
	return startCallServerPorts(t, router, edit, 32000, 32999)
}

// startCallServerPorts is startCallServerWith with RTP ports low to high.
func startCallServerPorts(t *testing.T, router Router, edit func(*configs.SIP), low, high int) (*testServer, *Location) {
	t.Helper()
	cfg := configs.Default().SIP
	cfg.Addr, cfg.Transports, cfg.Registrar.Keepalive = "127.0.0.1:0", []string{"udp"}, 0
	if edit != nil {
		edit(&cfg)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	loc := NewLocation(nil, log, 10, time.Now)
	ports, err := media.NewPortPool(netip.MustParseAddr("127.0.0.1"), low, high)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := NewServer(cfg, Deps{Accounts: fakeAccounts{"1001": "alice-secret", "1002": "bob-secret"}, Location: loc,
		Metrics: prometheus.NewRegistry(), Log: log, Router: router, Ports: ports})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	var once sync.Once
	stop := func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return &testServer{Server: srv, addr: srv.Addr("udp"), stop: stop}, loc
}

// agentPhone registers user at the PBX and answers every INVITE with media
// on rtp. Its calls' dialogs come out on answered.
func agentPhone(t *testing.T, pbx, user, password string, rtp *rtpPeer) chan *sipgo.DialogServerSession {
	t.Helper()
	ua, _ := sipgo.NewUA(sipgo.WithUserAgent("agent-phone"))
	t.Cleanup(func() { ua.Close() })
	srv, _ := sipgo.NewServer(ua)
	l, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	local := l.LocalAddr().String()
	client, _ := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"), sipgo.WithClientConnectionAddr(local))
	host, port, _ := sip.ParseAddr(local)
	contact := sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: user, Host: host, Port: port}}
	dialogs := sipgo.NewDialogServerCache(client, contact)
	answered := make(chan *sipgo.DialogServerSession, 4)
	srv.OnInvite(func(req *sip.Request, tx sip.ServerTransaction) {
		d, err := dialogs.ReadInvite(req, tx)
		if err != nil {
			return
		}
		d.Respond(180, "Ringing", nil)
		offer, err := media.ParseSDP(req.Body())
		if err != nil {
			d.Respond(488, "Bad SDP", nil)
			return
		}
		ans, _ := media.Answer(offer, media.Local{Addr: netip.MustParseAddr("127.0.0.1"), Port: rtp.port(), SessionID: 2, Version: 1})
		if err := d.RespondSDP(ans.Marshal()); err != nil {
			return
		}
		answered <- d
		<-d.Context().Done()
	})
	srv.OnAck(func(req *sip.Request, tx sip.ServerTransaction) { dialogs.ReadAck(req, tx) })
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) { dialogs.ReadBye(req, tx) })
	go srv.ServeUDP(l)
	t.Cleanup(func() { l.Close() })
	for i := 0; ; i++ { // wait until the listener is in sipgo's pool, so requests leave from it
		if c, _ := ua.TransportLayer().GetConnection("udp", local); c != nil {
			break
		}
		if i > 100 {
			t.Fatal("agent listener not served")
		}
		time.Sleep(10 * time.Millisecond)
	}

	// Register from the port it listens on.
	ph, pp, _ := sip.ParseAddr(pbx)
	req := sip.NewRequest(sip.REGISTER, sip.Uri{Host: ph, Port: pp})
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{User: user, Host: ph}})
	req.AppendHeader(&sip.FromHeader{Address: sip.Uri{User: user, Host: ph}, Params: sip.HeaderParams{{K: "tag", V: "agent"}}})
	req.AppendHeader(&contact)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	res, err := client.Do(ctx, req)
	if err == nil && res.StatusCode == 401 {
		res, err = client.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: user, Password: password})
	}
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("agent register: %v %v", res, err)
	}
	return answered
}

func TestCallBridgesMediaAndHangsUpBothSides(t *testing.T) {
	router := &userRouter{user: 7, outcome: make(chan error, 1)} // fakeAccounts gives every user id 7
	srv, _ := startCallServer(t, router)
	agentRTP, callerRTP := newRTPPeer(t), newRTPPeer(t)
	answered := agentPhone(t, srv.addr, "1002", "bob-secret", agentRTP)

	// The caller: phone user 1001 calls; the PBX challenges with 407.
	ua, _ := sipgo.NewUA(sipgo.WithUserAgent("caller-phone"))
	defer ua.Close()
	client, _ := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"))
	caller := sipgo.NewDialogClientCache(client, sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "1001", Host: "127.0.0.1", Port: 6090}})
	ph, pp, _ := sip.ParseAddr(srv.addr)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d, err := caller.Invite(ctx, sip.Uri{Scheme: "sip", User: "1002", Host: ph, Port: pp}, callerRTP.sdp(t),
		sip.NewHeader("Content-Type", "application/sdp"))
	if err != nil {
		t.Fatal(err)
	}
	if err := d.WaitAnswer(ctx, sipgo.AnswerOptions{Username: "1001", Password: "alice-secret"}); err != nil {
		t.Fatalf("caller got no answer: %v", err)
	}
	if err := d.Ack(ctx); err != nil {
		t.Fatal(err)
	}
	var agent *sipgo.DialogServerSession
	select {
	case agent = <-answered:
	case <-ctx.Done():
		t.Fatal("agent never answered")
	}

	// Media flows through the PBX both ways.
	ans, err := media.ParseSDP(d.InviteResponse.Body())
	if err != nil {
		t.Fatal(err)
	}
	if ans.Addr.String() != "127.0.0.1" || ans.Port == callerRTP.port() || ans.Port == agentRTP.port() {
		t.Fatalf("the caller's answer does not anchor media in the PBX: %s", d.InviteResponse.Body())
	}
	pbxMedia := net.UDPAddrFromAddrPort(ans.Remote())
	buf := make([]byte, 1500)
	for seq := uint16(1); seq <= 5; seq++ {
		callerRTP.conn.WriteToUDP(packet(seq), pbxMedia)
	}
	agentRTP.conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	n, from, err := agentRTP.conn.ReadFromUDP(buf)
	if err != nil || n != 172 {
		t.Fatalf("agent got no caller audio: %v", err)
	}
	// The agent answers from its socket; the PBX latched the caller, so the
	// caller hears it.
	agentRTP.conn.WriteToUDP(packet(1), from)
	callerRTP.conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, _, err := callerRTP.conn.ReadFromUDP(buf); err != nil {
		t.Fatalf("caller got no agent audio: %v", err)
	}

	// Hold and resume, whatever way the phone says it (issue: Go stacks often
	// break here): each gets a 200 with an SDP answer that mirrors it.
	reinvite := func(body string) string {
		t.Helper()
		req := sip.NewRequest(sip.INVITE, d.InviteResponse.Contact().Address)
		if body != "" {
			req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
			req.SetBody([]byte(body))
		}
		res, err := d.Do(ctx, req)
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("re-INVITE %q: %v %v", body, res, err)
		}
		return string(res.Body())
	}
	offer := string(callerRTP.sdp(t))
	if got := reinvite(strings.Replace(offer, "a=sendrecv", "a=sendonly", 1)); !strings.Contains(got, "a=recvonly") {
		t.Fatalf("hold with sendonly answered:\n%s", got)
	}
	if got := reinvite(strings.Replace(offer, "a=sendrecv", "a=inactive", 1)); !strings.Contains(got, "a=inactive") {
		t.Fatalf("hold with inactive answered:\n%s", got)
	}
	if got := reinvite(strings.Replace(offer, "c=IN IP4 127.0.0.1", "c=IN IP4 0.0.0.0", 1)); !strings.Contains(got, "m=audio") {
		t.Fatalf("hold with 0.0.0.0 answered:\n%s", got)
	}
	if got := reinvite(""); !strings.Contains(got, "a=sendrecv") || !strings.Contains(got, "PCMU") {
		t.Fatalf("re-INVITE without SDP must get our offer:\n%s", got)
	}
	if got := reinvite(offer); !strings.Contains(got, "a=sendrecv") {
		t.Fatalf("resume answered:\n%s", got)
	}
	// Media still flows after the hold and resume.
	callerRTP.conn.WriteToUDP(packet(50), pbxMedia)
	agentRTP.conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, _, err := agentRTP.conn.ReadFromUDP(buf); err != nil {
		t.Fatalf("no audio after resume: %v", err)
	}

	// The caller hangs up: the agent gets a BYE.
	if err := d.Bye(ctx); err != nil {
		t.Fatalf("bye: %v", err)
	}
	select {
	case <-agent.Context().Done():
	case <-time.After(3 * time.Second):
		t.Fatal("the agent's leg was not hung up")
	}
	if got := <-router.outcome; got != ErrCallerGone {
		t.Fatalf("call ended with %v, want %v", got, ErrCallerGone)
	}
}

func TestCallToNobodyIsUnavailable(t *testing.T) {
	router := &userRouter{user: 7, outcome: make(chan error, 1)}
	srv, _ := startCallServer(t, router)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d := inviteAs1001(ctx, t, srv.addr, 6091)
	err := d.WaitAnswer(ctx, sipgo.AnswerOptions{Username: "1001", Password: "alice-secret"})
	if fmt.Sprint(err) == "<nil>" || <-router.outcome != ErrUnavailable {
		t.Fatalf("a call to a user with no device: %v", err)
	}
}

// silentDevice is a stale binding of user 1002 (id 7): a socket that takes
// the PBX's INVITEs and never answers, not even 100 Trying, as a phone gone
// from the network behind a NAT that still forwards, or a sipp that no
// longer runs a scenario. The INVITEs it got come out on invites.
func silentDevice(t *testing.T, loc *Location) (invites chan string) {
	t.Helper()
	return rawDevice(t, loc, 0)
}

// rawDevice is a device of user 1002 (id 7) on a bare socket: it sends no
// provisional answer, and answers an INVITE with 200 only after answerAfter
// (never if 0); it answers BYE with 200. Every request it gets comes out on
// the channel.
func rawDevice(t *testing.T, loc *Location, answerAfter time.Duration) chan string {
	t.Helper()
	l, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	got := make(chan string, 64)
	addr := l.LocalAddr().String()
	// reply answers req with code, copying what RFC 3261 8.2.6.2 asks.
	reply := func(req string, to net.Addr, code string, body string) {
		var b strings.Builder
		b.WriteString("SIP/2.0 " + code + "\r\n")
		for _, line := range strings.Split(req, "\r\n")[1:] {
			name, _, _ := strings.Cut(line, ":")
			switch strings.ToLower(strings.TrimSpace(name)) {
			case "via", "from", "call-id", "cseq":
				b.WriteString(line + "\r\n")
			case "to":
				if !strings.Contains(line, "tag=") {
					line += ";tag=rawdevice"
				}
				b.WriteString(line + "\r\n")
			}
		}
		b.WriteString("Contact: <sip:1002@" + addr + ">\r\n")
		if body != "" {
			b.WriteString("Content-Type: application/sdp\r\n")
		}
		b.WriteString(fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(body), body))
		l.WriteTo([]byte(b.String()), to)
	}
	go func() {
		buf := make([]byte, 65535)
		answered := map[string]bool{}
		for {
			n, from, err := l.ReadFrom(buf)
			if err != nil {
				return
			}
			msg := string(buf[:n])
			if strings.HasPrefix(msg, "SIP/") {
				continue
			}
			select {
			case got <- msg:
			default:
			}
			switch {
			case strings.HasPrefix(msg, "BYE "):
				reply(msg, from, "200 OK", "")
			case strings.HasPrefix(msg, "INVITE ") && answerAfter > 0 && !answered[msg]:
				answered[msg] = true
				sdp := media.Offer(media.Local{Addr: netip.MustParseAddr("127.0.0.1"), Port: 40000, SessionID: 3, Version: 1},
					media.SendRecv).Marshal()
				time.AfterFunc(answerAfter, func() { reply(msg, from, "200 OK", string(sdp)) })
			}
		}
	}()
	if _, err := loc.Apply(Update{AOR: "1002", UserID: 7, CallID: "raw@device", CSeq: 1, Source: addr, Transport: "udp",
		Contacts: []ContactUpdate{{URI: "sip:1002@" + addr, Expires: 3600}}}); err != nil {
		t.Fatal(err)
	}
	return got
}

// A user with a live phone and a stale binding that never answers: the
// caller is bridged as soon as the phone answers, not once the stale
// device's INVITE gives up (Timer B, 32 s), by which time the phone, never
// ACKed, would have hung up.
func TestDialDoesNotWaitForSilentDevice(t *testing.T) {
	router := &userRouter{user: 7, outcome: make(chan error, 1)}
	srv, loc := startCallServer(t, router)
	answered := agentPhone(t, srv.addr, "1002", "bob-secret", newRTPPeer(t))
	invites := silentDevice(t, loc)
	phone := newTestCaller(t, 6096, func(caller *sipgo.DialogClientCache, req *sip.Request, tx sip.ServerTransaction) {
		caller.ReadBye(req, tx)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
	defer cancel()
	d := phone.call(ctx, srv.addr) // fails the test if no answer within 4 s
	select {
	case <-invites:
	case <-time.After(time.Second):
		t.Fatal("the stale device got no INVITE: the test does not test anything")
	}
	agent := <-answered
	if agent.Context().Err() != nil {
		t.Fatal("the agent's leg is over already")
	}
	if err := d.Bye(ctx); err != nil {
		t.Fatal(err)
	}
	if got := <-router.outcome; got != ErrCallerGone {
		t.Fatalf("call ended with %v, want %v", got, ErrCallerGone)
	}
}

// A server out of RTP ports cannot bridge a call: Dial says it is
// overloaded (a 503 for the carrier to try elsewhere), not that the user is
// unavailable (a 480, and the flow's "unavailable" exit).
func TestDialWithoutPortsIsOverloaded(t *testing.T) {
	router := &userRouter{user: 7, outcome: make(chan error, 1)}
	srv, _ := startCallServerPorts(t, router, nil, 32100, 32101) // one pair: the caller's
	agentPhone(t, srv.addr, "1002", "bob-secret", newRTPPeer(t))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	d := inviteAs1001(ctx, t, srv.addr, 6099)
	refused := make(chan error, 1)
	go func() { refused <- d.WaitAnswer(ctx, sipgo.AnswerOptions{Username: "1001", Password: "alice-secret"}) }()
	defer func() { <-refused }()
	select {
	case got := <-router.outcome:
		if !errors.Is(got, ErrOverloaded) {
			t.Fatalf("Dial with no RTP port left: %v, want ErrOverloaded", got)
		}
	case <-ctx.Done():
		t.Fatal("Dial did not end")
	}
}

// A ring to a device that never answers ends when the ring time is up,
// and the flow goes on (no answer), not 32 s later.
func TestRingToSilentDeviceTimesOut(t *testing.T) {
	router := &userRouter{user: 7, outcome: make(chan error, 1), ring: time.Second}
	srv, loc := startCallServer(t, router)
	invites := silentDevice(t, loc)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	d := inviteAs1001(ctx, t, srv.addr, 6097)
	refused := make(chan error, 1)
	go func() { refused <- d.WaitAnswer(ctx, sipgo.AnswerOptions{Username: "1001", Password: "alice-secret"}) }()
	defer func() { <-refused }() // the caller's transaction ends before its UA closes
	select {
	case got := <-router.outcome:
		if got != ErrNoAnswer {
			t.Fatalf("ring ended with %v, want %v", got, ErrNoAnswer)
		}
		if took := time.Since(start); took > 3*time.Second {
			t.Fatalf("a 1 s ring ended after %v", took)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a 1 s ring to a silent device still rings after 5 s")
	}
	select {
	case <-invites:
	case <-time.After(time.Second):
		t.Fatal("the silent device got no INVITE")
	}
}

// A device that says nothing until the ring time is up, then answers, is
// sent ACK and BYE: it must not be left in a call nobody is on.
func TestDeviceAnsweringAfterTheRingIsHungUp(t *testing.T) {
	router := &userRouter{user: 7, outcome: make(chan error, 1), ring: time.Second}
	srv, loc := startCallServer(t, router)
	requests := rawDevice(t, loc, 1500*time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d := inviteAs1001(ctx, t, srv.addr, 6098)
	refused := make(chan error, 1)
	go func() { refused <- d.WaitAnswer(ctx, sipgo.AnswerOptions{Username: "1001", Password: "alice-secret"}) }()
	defer func() { <-refused }()
	if got := <-router.outcome; got != ErrNoAnswer {
		t.Fatalf("ring ended with %v, want %v", got, ErrNoAnswer)
	}
	var acked bool
	deadline := time.After(5 * time.Second)
	for {
		select {
		case req := <-requests:
			switch {
			case strings.HasPrefix(req, "ACK "):
				acked = true
			case strings.HasPrefix(req, "BYE "):
				if !acked {
					t.Fatal("BYE before the ACK of the late answer")
				}
				return
			}
		case <-deadline:
			t.Fatalf("the device that answered late was not hung up (ACKed: %v)", acked)
		}
	}
}

func TestShutdownHangsUpCalls(t *testing.T) {
	router := &userRouter{user: 7, outcome: make(chan error, 1)}
	srv, _ := startCallServer(t, router)
	answered := agentPhone(t, srv.addr, "1002", "bob-secret", newRTPPeer(t))
	callerBye := make(chan struct{}, 1)
	phone := newTestCaller(t, 6092, func(caller *sipgo.DialogClientCache, req *sip.Request, tx sip.ServerTransaction) {
		caller.ReadBye(req, tx)
		callerBye <- struct{}{}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	phone.call(ctx, srv.addr)
	agent := <-answered

	srv.stop() // the server stops with the call up: both sides hear BYE first
	select {
	case <-agent.Context().Done():
	case <-time.After(3 * time.Second):
		t.Fatal("agent not hung up on shutdown")
	}
	select {
	case <-callerBye:
	case <-time.After(3 * time.Second):
		t.Fatal("caller not hung up on shutdown")
	}
	if got := <-router.outcome; got != ErrShutdown {
		t.Fatalf("call ended with %v, want %v", got, ErrShutdown)
	}
}

// A caller that answers the PBX's BYE with 481 (or not at all) leaves no
// goroutine behind once the call is over.
func TestCallerRefusingByeLeaksNothing(t *testing.T) {
	before := goleak.IgnoreCurrent()
	t.Run("call", callerRefusesBye) // its cleanups stop the phones and the server
	goleak.VerifyNone(t, before, goleak.IgnoreAnyFunction("pbx/media.(*engine).run"))
}

func callerRefusesBye(t *testing.T) {
	router := &userRouter{user: 7, outcome: make(chan error, 1)}
	srv, _ := startCallServer(t, router)
	answered := agentPhone(t, srv.addr, "1002", "bob-secret", newRTPPeer(t))
	refused := make(chan struct{}, 1)
	phone := newTestCaller(t, 6093, func(_ *sipgo.DialogClientCache, req *sip.Request, tx sip.ServerTransaction) {
		tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
		refused <- struct{}{}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d := phone.call(ctx, srv.addr)
	agent := <-answered
	if err := agent.Bye(ctx); err != nil { // the agent hangs up
		t.Fatal(err)
	}
	select {
	case <-refused:
	case <-time.After(3 * time.Second):
		t.Fatal("the caller got no BYE")
	}
	if got := <-router.outcome; got != ErrCalleeGone {
		t.Fatalf("call ended with %v, want %v", got, ErrCalleeGone)
	}
	d.Close()
}

// testCaller is phone user 1001 listening on port, whose BYE handler is
// onBye; call places its call to 1002 through srv and waits for the answer.
type testCaller struct {
	t      *testing.T
	client *sipgo.Client
	caller *sipgo.DialogClientCache
	port   int
}

func newTestCaller(t *testing.T, port int, onBye func(caller *sipgo.DialogClientCache, req *sip.Request, tx sip.ServerTransaction)) *testCaller {
	t.Helper()
	ua, _ := sipgo.NewUA()
	t.Cleanup(func() { ua.Close() })
	client, _ := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"))
	srv, _ := sipgo.NewServer(ua)
	caller := sipgo.NewDialogClientCache(client, sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "1001", Host: "127.0.0.1", Port: port}})
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) { onBye(caller, req, tx) })
	l, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	go srv.ServeUDP(l)
	t.Cleanup(func() { l.Close() })
	return &testCaller{t: t, client: client, caller: caller, port: port}
}

// inviteAs1001 sends phone user 1001's INVITE (a fresh RTP peer's offer)
// to 1002 at pbx from a UA of its own, its contact on port, and returns the
// dialog before any answer; the UA closes when the test ends.
func inviteAs1001(ctx context.Context, t *testing.T, pbx string, port int) *sipgo.DialogClientSession {
	t.Helper()
	ua, _ := sipgo.NewUA()
	t.Cleanup(func() { ua.Close() })
	client, _ := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"))
	caller := sipgo.NewDialogClientCache(client, sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "1001", Host: "127.0.0.1", Port: port}})
	ph, pp, _ := sip.ParseAddr(pbx)
	d, err := caller.Invite(ctx, sip.Uri{Scheme: "sip", User: "1002", Host: ph, Port: pp}, newRTPPeer(t).sdp(t),
		sip.NewHeader("Content-Type", "application/sdp"))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func (c *testCaller) call(ctx context.Context, pbx string) *sipgo.DialogClientSession {
	c.t.Helper()
	ph, pp, _ := sip.ParseAddr(pbx)
	d, err := c.caller.Invite(ctx, sip.Uri{Scheme: "sip", User: "1002", Host: ph, Port: pp}, newRTPPeer(c.t).sdp(c.t),
		sip.NewHeader("Content-Type", "application/sdp"))
	if err != nil {
		c.t.Fatal(err)
	}
	if err := d.WaitAnswer(ctx, sipgo.AnswerOptions{Username: "1001", Password: "alice-secret"}); err != nil {
		c.t.Fatal(err)
	}
	d.Ack(ctx)
	return d
}

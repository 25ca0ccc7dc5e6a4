package sip

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/icholy/digest"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/goleak"

	"pbx/configs"
)

// listenerHarness serves a tcpListener as sipgo does: one goroutine accepts,
// one per connection reads until an error, then closes. Each read is echoed
// back, so a client knows when the server has seen its bytes.
type listenerHarness struct {
	t        *testing.T
	l        *tcpListener
	m        *Metrics
	accepted chan net.Conn
	wg       sync.WaitGroup
	mu       sync.Mutex
	conns    []net.Conn
}

func newListenerHarness(t *testing.T, cfg configs.TCP) *listenerHarness {
	t.Helper()
	leaks := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, leaks) }) // runs last
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m := NewMetrics(prometheus.NewRegistry(), nil, nil, func() int { return 0 })
	h := &listenerHarness{t: t, m: m, accepted: make(chan net.Conn, 16),
		l: newTCPListener(inner, cfg, slog.New(slog.DiscardHandler), m, time.Now)}
	h.wg.Go(func() {
		for {
			c, err := h.l.Accept()
			if err != nil {
				return
			}
			h.accepted <- c
			h.wg.Go(func() {
				defer c.Close()
				buf := make([]byte, 4096)
				for {
					n, err := c.Read(buf)
					if n > 0 {
						c.Write(buf[:n])
					}
					if err != nil {
						return
					}
				}
			})
		}
	})
	t.Cleanup(func() {
		h.l.Close()
		h.mu.Lock()
		for _, c := range h.conns {
			c.Close()
		}
		h.mu.Unlock()
		h.wg.Wait()
	})
	return h
}

// dial connects from the loopback address src.
func (h *listenerHarness) dial(src string) net.Conn {
	h.t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
	c, err := d.Dial("tcp", h.l.Addr().String())
	if err != nil {
		h.t.Fatal(err)
	}
	h.mu.Lock()
	h.conns = append(h.conns, c)
	h.mu.Unlock()
	return c
}

// admitted waits for the server to hand a connection on.
func (h *listenerHarness) admitted() {
	h.t.Helper()
	select {
	case <-h.accepted:
	case <-time.After(5 * time.Second):
		h.t.Fatal("no connection admitted within 5s")
	}
}

// send writes s and waits until the server has read it.
func (h *listenerHarness) send(c net.Conn, s string) {
	h.t.Helper()
	if _, err := c.Write([]byte(s)); err != nil {
		h.t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(c, make([]byte, len(s))); err != nil {
		h.t.Fatalf("echo of %q: %v", s, err)
	}
}

// closedByServer waits for the server to close c and returns how long that took.
func closedByServer(t *testing.T, c net.Conn, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	c.SetReadDeadline(start.Add(within))
	buf := make([]byte, 4096)
	for {
		_, err := c.Read(buf)
		if err == nil {
			continue // echoes
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("connection from %s still open after %s", c.LocalAddr(), within)
		}
		return time.Since(start)
	}
}

func TestTCPListenerLimitsEachSource(t *testing.T) {
	h := newListenerHarness(t, configs.TCP{MessageTimeout: time.Minute, IdleTimeout: time.Hour, MaxPerSource: 2})
	h.dial("127.0.0.2")
	h.admitted()
	h.dial("127.0.0.2")
	h.admitted()
	third := h.dial("127.0.0.2")
	closedByServer(t, third, 5*time.Second)
	if n := testutil.ToFloat64(h.m.tcpRefused.WithLabelValues(refusedPerSource)); n != 1 {
		t.Fatalf("refused per source: %v, want 1", n)
	}
	// Another address has its own allowance.
	h.dial("127.0.0.3")
	h.admitted()
	if n := testutil.ToFloat64(h.m.tcpOpen); n != 3 {
		t.Fatalf("open connections: %v, want 3", n)
	}
}

func TestSourceOfCountsIPv6By64(t *testing.T) {
	for _, tc := range []struct{ addr, want string }{
		{"192.0.2.7:5060", "192.0.2.7"},
		{"[::ffff:192.0.2.7]:5060", "192.0.2.7"},
		{"[2001:db8:1:2:aaaa::1]:5060", "2001:db8:1:2::"},
		{"[2001:db8:1:2:bbbb::9]:40000", "2001:db8:1:2::"},
		{"[2001:db8:1:3::1]:5060", "2001:db8:1:3::"},
	} {
		a, err := net.ResolveTCPAddr("tcp", tc.addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := sourceOf(a).String(); got != tc.want {
			t.Errorf("sourceOf(%s) = %s, want %s", tc.addr, got, tc.want)
		}
	}
}

func TestTCPListenerCapEvictsSilentConnectionsFirst(t *testing.T) {
	h := newListenerHarness(t, configs.TCP{MessageTimeout: time.Minute, IdleTimeout: time.Hour, MaxConnections: 2})
	silent := h.dial("127.0.0.2")
	h.admitted()
	phone := h.dial("127.0.0.3")
	h.admitted()
	h.send(phone, framedOptions)

	// At the cap: the silent connection makes room, the phone stays.
	newcomer := h.dial("127.0.0.4")
	h.admitted()
	closedByServer(t, silent, 5*time.Second)
	if n := testutil.ToFloat64(h.m.tcpClosed.WithLabelValues(closedEvicted)); n != 1 {
		t.Fatalf("evicted: %v, want 1", n)
	}
	h.send(newcomer, framedOptions)

	// Every connection has sent a message: a new one is refused.
	late := h.dial("127.0.0.5")
	closedByServer(t, late, 5*time.Second)
	if n := testutil.ToFloat64(h.m.tcpRefused.WithLabelValues(refusedCapacity)); n != 1 {
		t.Fatalf("refused at capacity: %v, want 1", n)
	}
	h.send(phone, framedOptions) // still served
	if n := testutil.ToFloat64(h.m.tcpOpen); n != 2 {
		t.Fatalf("open connections: %v, want 2", n)
	}
}

func TestTCPListenerTimesMessages(t *testing.T) {
	const (
		message = 300 * time.Millisecond
		idle    = 1500 * time.Millisecond
	)
	h := newListenerHarness(t, configs.TCP{MessageTimeout: message, IdleTimeout: idle})
	closedFor := func(reason string) float64 { return testutil.ToFloat64(h.m.tcpClosed.WithLabelValues(reason)) }

	t.Run("half a first message", func(t *testing.T) {
		c := h.dial("127.0.0.2")
		h.send(c, framedOptions[:40])
		if took := closedByServer(t, c, idle); took > idle {
			t.Fatalf("closed after %s", took)
		}
		if closedFor(closedMessageTimeout) != 1 {
			t.Fatalf("message timeouts: %v, want 1", closedFor(closedMessageTimeout))
		}
	})
	t.Run("a first message sent too slowly", func(t *testing.T) {
		c := h.dial("127.0.0.3")
		start := time.Now()
		// A byte every 50 ms keeps it busy but never finishes in time.
		for i := 0; time.Since(start) < idle && i < len(framedOptions)-1; i++ {
			if _, err := c.Write([]byte{framedOptions[i]}); err != nil {
				break // closed
			}
			time.Sleep(50 * time.Millisecond)
		}
		closedByServer(t, c, idle)
		if took := time.Since(start); took < message || took > idle {
			t.Fatalf("closed after %s, want about %s", took, message)
		}
	})
	t.Run("a connection idle after its message", func(t *testing.T) {
		c := h.dial("127.0.0.4")
		h.send(c, framedOptions)
		start := time.Now()
		h.send(c, "\r\n\r\n") // a keepalive counts as life, not as a message
		closedByServer(t, c, 2*idle)
		if took := time.Since(start); took < idle-100*time.Millisecond {
			t.Fatalf("an idle connection closed %s after its keepalive, before its idle timeout %s", took, idle)
		}
		if closedFor(closedIdleTimeout) != 1 {
			t.Fatalf("idle timeouts: %v, want 1", closedFor(closedIdleTimeout))
		}
	})
	t.Run("a later message stalled", func(t *testing.T) {
		c := h.dial("127.0.0.5")
		h.send(c, framedOptions)
		start := time.Now()
		h.send(c, framedInvite[:30])
		closedByServer(t, c, idle)
		if took := time.Since(start); took >= idle {
			t.Fatalf("a stalled message closed after %s, by the idle timeout instead of the message timeout", took)
		}
	})
}

// flakyListener fails its first accepts with errs, then accepts.
type flakyListener struct {
	net.Listener
	mu   sync.Mutex
	errs []error
}

func (f *flakyListener) Accept() (net.Conn, error) {
	f.mu.Lock()
	if len(f.errs) > 0 {
		err := f.errs[0]
		f.errs = f.errs[1:]
		f.mu.Unlock()
		return nil, err
	}
	f.mu.Unlock()
	return f.Listener.Accept()
}

func TestTCPListenerRetriesAcceptErrors(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	emfile := &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.EMFILE)}
	flaky := &flakyListener{Listener: inner, errs: []error{emfile, emfile, emfile}}
	m := NewMetrics(prometheus.NewRegistry(), nil, nil, func() int { return 0 })
	now := time.Now()
	clock := func() time.Time { return now }
	l := newTCPListener(flaky, configs.TCP{MessageTimeout: time.Minute, IdleTimeout: time.Hour}, slog.New(slog.DiscardHandler), m, clock)
	defer l.Close()

	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	got, err := l.Accept()
	if err != nil {
		t.Fatalf("accept after out of descriptors: %v", err)
	}
	got.Close()
	if n := testutil.ToFloat64(m.tcpAcceptErrors); n != 3 {
		t.Fatalf("accept errors: %v, want 3", n)
	}
	if err := l.health(); err != nil {
		t.Fatalf("health after recovering: %v", err)
	}

	// Failing for long is unhealthy; a broken listener returns its error.
	flaky.mu.Lock()
	flaky.errs = []error{emfile, emfile, &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.EINVAL)}}
	flaky.mu.Unlock()
	if _, err := l.Accept(); !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("accept on a broken listener: %v, want EINVAL", err)
	}
	now = now.Add(acceptFailingFor + time.Second)
	if err := l.health(); !errors.Is(err, syscall.EMFILE) {
		t.Fatalf("health after failing %s: %v, want EMFILE", acceptFailingFor, err)
	}

	// Closing ends a back-off wait.
	flaky.mu.Lock()
	for range 100 {
		flaky.errs = append(flaky.errs, emfile)
	}
	flaky.mu.Unlock()
	done := make(chan error)
	go func() { _, err := l.Accept(); done <- err }()
	l.Close()
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("accept after close: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("accept still backing off 5s after close")
	}
}

// A phone registered over TCP keeps its connection past the idle timeout of
// connections that registered nothing, and for as long as it answers the
// PBX's keepalives: the PBX reaches it through that connection. Once it goes
// silent, the registered idle timeout closes it.
func TestPhoneOverTCPKeepsItsConnection(t *testing.T) {
	const (
		unregistered = 400 * time.Millisecond
		idle         = 1200 * time.Millisecond
	)
	srv := startServer(t, func(c *configs.SIP) {
		c.Transports = []string{"udp", "tcp"}
		c.Registrar.Keepalive = 200 * time.Millisecond
		c.TCP = configs.TCP{MessageTimeout: time.Second, IdleTimeout: unregistered, RegisteredIdleTimeout: idle}
	})
	conn, err := net.Dial("tcp", srv.Addr("tcp"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	register := func(cseq int, auth string) string {
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		msg := fmt.Sprintf(`REGISTER sip:%[1]s SIP/2.0
Via: SIP/2.0/TCP 192.168.1.50:5060;branch=z9hG4bK-tcp-%[2]d
From: <sip:1001@%[1]s>;tag=tcp
To: <sip:1001@%[1]s>
Call-ID: tcp-call@192.168.1.50
CSeq: %[2]d REGISTER
Contact: <sip:1001@192.168.1.50:5060;transport=tcp>
Max-Forwards: 70
Expires: 300
%[3]sContent-Length: 0

`, srv.Addr("tcp"), cseq, auth)
		if _, err := conn.Write([]byte(strings.ReplaceAll(msg, "\n", "\r\n"))); err != nil {
			t.Fatal(err)
		}
		var res []byte
		buf := make([]byte, 4096)
		for !strings.Contains(strings.TrimLeft(string(res), "\r\n"), "\r\n\r\n") {
			n, err := conn.Read(buf)
			if err != nil {
				t.Fatalf("answer to REGISTER: %v", err)
			}
			res = append(res, buf[:n]...)
		}
		return strings.TrimLeft(string(res), "\r\n")
	}
	res := register(1, "")
	chal, err := digest.ParseChallenge(header(res, "WWW-Authenticate"))
	if err != nil {
		t.Fatalf("%v in:\n%s", err, res)
	}
	cred, _ := digest.Digest(chal, digest.Options{Method: "REGISTER", URI: "sip:" + srv.Addr("tcp"), Username: "1001", Password: "alice-secret"})
	if res := register(2, "Authorization: "+cred.String()+"\n"); !strings.HasPrefix(res, "SIP/2.0 200") {
		t.Fatalf("want 200, got:\n%s", res)
	}

	// Silent for twice the unregistered idle timeout: pings arrive, unanswered.
	buf := make([]byte, 4096)
	for end := time.Now().Add(2 * unregistered); time.Now().Before(end); {
		conn.SetReadDeadline(end)
		if _, err := conn.Read(buf); err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("a registered phone's connection closed after %s of silence: %v", unregistered, err)
		}
	}

	// Twice the idle timeout, answering every ping and sending nothing else.
	pings := 0
	var lastPong time.Time
	for end := time.Now().Add(2 * idle); time.Now().Before(end); {
		conn.SetReadDeadline(end)
		n, err := conn.Read(buf)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			break
		}
		if err != nil {
			t.Fatalf("the connection of a phone answering keepalives closed after %d pings: %v", pings, err)
		}
		pings += strings.Count(string(buf[:n]), "\r\n\r\n")
		conn.Write([]byte("\r\n"))
		lastPong = time.Now()
	}
	if pings < 5 {
		t.Fatalf("%d keepalives reached the phone through its connection in %s", pings, 2*idle)
	}

	// Silent now: closed for idleness.
	conn.SetReadDeadline(time.Now().Add(3 * idle))
	for {
		if _, err := conn.Read(buf); err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("a silent connection still open %s later", 3*idle)
			}
			break
		}
	}
	if took := time.Since(lastPong); took < idle-100*time.Millisecond {
		t.Fatalf("closed %s after the last pong, before the idle timeout", took)
	}
	if n := testutil.ToFloat64(srv.metrics.tcpClosed.WithLabelValues(closedIdleTimeout)); n != 1 {
		t.Fatalf("idle timeouts: %v, want 1", n)
	}
}

// Without a registration, a connection that spoke once is closed after the
// shorter idle timeout, the registered one notwithstanding.
func TestUnregisteredTCPConnectionGetsTheShortIdleTimeout(t *testing.T) {
	h := newListenerHarness(t, configs.TCP{MessageTimeout: time.Second, IdleTimeout: 300 * time.Millisecond, RegisteredIdleTimeout: time.Hour})
	c := h.dial("127.0.0.2")
	h.admitted()
	h.send(c, framedOptions)
	if took := closedByServer(t, c, 5*time.Second); took > 2*time.Second {
		t.Fatalf("closed after %s", took)
	}
	if n := testutil.ToFloat64(h.m.tcpClosed.WithLabelValues(closedIdleTimeout)); n != 1 {
		t.Fatalf("idle timeouts: %v, want 1", n)
	}
}

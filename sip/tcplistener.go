package sip

import (
	"bytes"
	"container/list"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbx/configs"
)

// Why a TCP connection was refused or closed by the server: the label values
// of pbx_sip_tcp_refused_total and pbx_sip_tcp_closed_total.
const (
	refusedPerSource = "per_source"
	refusedCapacity  = "capacity"

	closedMessageTimeout = "message_timeout"
	closedIdleTimeout    = "idle_timeout"
	closedWriteTimeout   = "write_timeout"
	closedEvicted        = "evicted"
)

// acceptFailingFor is how long accept may fail without a break before the
// SIP edge reports itself unhealthy.
const acceptFailingFor = 30 * time.Second

// tcpListener is the SIP TCP listener handed to sipgo. It keeps a flood of
// connections from taking every file descriptor, which would close the
// listener: each source address may hold MaxPerSource connections and all
// of them MaxConnections; a connection must send each whole message within
// MessageTimeout and may then stay quiet for IdleTimeout, or
// RegisteredIdleTimeout once a device has registered through it (the PBX
// reaches the device through it); and accept errors
// (out of descriptors) are retried with back-off instead of ending serving.
//
// At MaxConnections, the oldest connection that has not yet sent a whole
// message makes room for the new one, so a flood of silent connections
// cannot lock phones out; only when every connection has proved itself is a
// new one refused.
type tcpListener struct {
	net.Listener
	cfg     configs.TCP
	log     *slog.Logger
	metrics *Metrics
	// now is the clock of accept failures; deadlines use the system's.
	now func() time.Time

	mu        sync.Mutex
	open      int
	perSource map[netip.Addr]int
	// byRemote finds a connection by its peer's address, as sipgo names it.
	byRemote map[string]*tcpConn
	// unproven holds the connections that have not sent a whole message
	// yet, oldest first: those a new connection may displace.
	unproven list.List
	// failingSince is when accept began failing, zero while it works.
	failingSince time.Time
	lastError    error

	closeOnce sync.Once
	closed    chan struct{}
}

func newTCPListener(l net.Listener, cfg configs.TCP, log *slog.Logger, m *Metrics, now func() time.Time) *tcpListener {
	return &tcpListener{Listener: l, cfg: cfg, log: log, metrics: m, now: now,
		perSource: make(map[netip.Addr]int), byRemote: make(map[string]*tcpConn), closed: make(chan struct{})}
}

// Accept returns the next connection admitted. Temporary accept errors,
// running out of descriptors first among them, are retried with back-off,
// as net/http does; only a closed or broken listener returns an error.
func (l *tcpListener) Accept() (net.Conn, error) {
	var delay time.Duration
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) || !retryable(err) {
				return nil, err
			}
			l.metrics.tcpAcceptErrors.Inc()
			if l.failing(err) {
				l.log.Warn("sip tcp accept failing; retrying", "error", err)
			}
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			t := time.NewTimer(delay)
			select {
			case <-t.C:
			case <-l.closed:
				t.Stop()
				return nil, net.ErrClosed
			}
			continue
		}
		if delay > 0 {
			delay = 0
			l.recovered()
		}
		if tc := l.admit(c); tc != nil {
			return tc, nil
		}
	}
}

// retryable reports whether an accept error passes: the listener itself
// is fine, a descriptor or buffer was missing, or a peer gave up early.
func retryable(err error) bool {
	for _, e := range []syscall.Errno{syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM,
		syscall.ECONNABORTED, syscall.ECONNRESET, syscall.EPROTO, syscall.EPERM, syscall.ETIMEDOUT,
		syscall.EINTR, syscall.EAGAIN} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// failing records an accept error and reports whether it starts a run of them.
func (l *tcpListener) failing(err error) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lastError = err
	if l.failingSince.IsZero() {
		l.failingSince = l.now()
		return true
	}
	return false
}

func (l *tcpListener) recovered() {
	l.mu.Lock()
	since := l.failingSince
	l.failingSince, l.lastError = time.Time{}, nil
	l.mu.Unlock()
	if !since.IsZero() {
		l.log.Info("sip tcp accepting again", "failed_for", l.now().Sub(since).Round(time.Millisecond).String())
	}
}

// health returns why accepting has failed for too long, or nil.
func (l *tcpListener) health() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.failingSince.IsZero() && l.now().Sub(l.failingSince) > acceptFailingFor {
		return &acceptError{since: l.failingSince, err: l.lastError}
	}
	return nil
}

type acceptError struct {
	since time.Time
	err   error
}

func (e *acceptError) Error() string {
	return "sip tcp accept failing since " + e.since.UTC().Format(time.RFC3339) + ": " + e.err.Error()
}

func (e *acceptError) Unwrap() error { return e.err }

// admit wraps c if its source and the total are within their limits, or
// closes it and returns nil.
func (l *tcpListener) admit(c net.Conn) *tcpConn {
	ip := sourceOf(c.RemoteAddr())
	var victim *tcpConn
	refused := ""
	l.mu.Lock()
	switch {
	case l.cfg.MaxPerSource > 0 && l.perSource[ip] >= l.cfg.MaxPerSource:
		refused = refusedPerSource
	case l.cfg.MaxConnections > 0 && l.open >= l.cfg.MaxConnections:
		front := l.unproven.Front()
		if front == nil {
			refused = refusedCapacity
			break
		}
		victim = l.unproven.Remove(front).(*tcpConn)
		victim.elem = nil
	}
	if refused != "" {
		l.mu.Unlock()
		l.metrics.tcpRefused.WithLabelValues(refused).Inc()
		c.Close()
		return nil
	}
	tc := &tcpConn{Conn: c, l: l, ip: ip, remote: c.RemoteAddr().String()}
	tc.elem = l.unproven.PushBack(tc)
	l.byRemote[tc.remote] = tc
	l.open++
	l.perSource[ip]++
	l.mu.Unlock()
	l.metrics.tcpOpen.Inc()
	if victim != nil {
		l.metrics.tcpClosed.WithLabelValues(closedEvicted).Inc()
		victim.Close()
	}
	if l.cfg.MessageTimeout > 0 {
		_ = c.SetReadDeadline(time.Now().Add(l.cfg.MessageTimeout))
	}
	return tc
}

// sourceOf is what the per-source limit counts by: the IPv4 address, or
// the /64 of an IPv6 one, since a single host may hold a whole /64.
func sourceOf(a net.Addr) netip.Addr {
	ap, _ := netip.ParseAddrPort(a.String())
	ip := ap.Addr().Unmap()
	if ip.Is6() {
		if p, err := ip.Prefix(64); err == nil {
			return p.Addr()
		}
	}
	return ip
}

// release forgets a closed connection.
func (l *tcpListener) release(c *tcpConn) {
	l.mu.Lock()
	l.open--
	if n := l.perSource[c.ip] - 1; n > 0 {
		l.perSource[c.ip] = n
	} else {
		delete(l.perSource, c.ip)
	}
	if c.elem != nil {
		l.unproven.Remove(c.elem)
		c.elem = nil
	}
	if l.byRemote[c.remote] == c {
		delete(l.byRemote, c.remote)
	}
	l.mu.Unlock()
	l.metrics.tcpOpen.Dec()
}

// registered gives the connection from remote (ip:port) the registered
// idle timeout: a device registered through it.
func (l *tcpListener) registered(remote string) {
	l.mu.Lock()
	c := l.byRemote[remote]
	l.mu.Unlock()
	if c == nil || c.registered.Swap(true) {
		return
	}
	if d := l.cfg.RegisteredIdleTimeout; d > 0 {
		// The reader set its deadline before the REGISTER was answered.
		_ = c.Conn.SetReadDeadline(time.Now().Add(d))
	}
}

// proven takes c off the list of connections a new one may displace.
func (l *tcpListener) proven(c *tcpConn) {
	l.mu.Lock()
	if c.elem != nil {
		l.unproven.Remove(c.elem)
		c.elem = nil
	}
	l.mu.Unlock()
}

// Close stops accepting and ends any back-off wait.
func (l *tcpListener) Close() error {
	l.closeOnce.Do(func() { close(l.closed) })
	return l.Listener.Close()
}

// tcpConn is an admitted connection: its reads are timed message by
// message, and it gives back its place when closed.
type tcpConn struct {
	net.Conn
	l          *tcpListener
	ip         netip.Addr
	remote     string
	elem       *list.Element // in l.unproven; guarded by l.mu
	registered atomic.Bool

	// Owned by the one goroutine sipgo reads the connection with.
	frames framer
	proved bool

	closeOnce sync.Once
}

// Read reads as net.Conn does, and moves the read deadline: a message must
// arrive whole within MessageTimeout (the first counted from accept, the
// others from their first byte), and between messages a connection that
// has sent one may stay quiet for its idle timeout. A connection past its
// deadline reads as ended, so sipgo closes it quietly.
func (c *tcpConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 {
		c.observe(b[:n])
	}
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		reason := closedIdleTimeout
		if !c.proved || c.frames.inMessage() {
			reason = closedMessageTimeout
		}
		c.l.metrics.tcpClosed.WithLabelValues(reason).Inc()
		return n, io.EOF
	}
	return n, err
}

func (c *tcpConn) observe(p []byte) {
	if c.frames.idle() && len(p) <= 4 && len(bytes.Trim(p, "\r\n")) == 0 {
		// sipgo takes a read like this between messages for a keepalive
		// and never parses it; the framer must not either.
		if d := c.idleTimeout(); c.proved && d > 0 {
			_ = c.Conn.SetReadDeadline(time.Now().Add(d))
		}
		return
	}
	done := c.frames.feed(p)
	if done > 0 && !c.proved {
		c.proved = true
		c.l.proven(c)
	}
	if !c.proved {
		return // the first message keeps the deadline set at accept
	}
	now := time.Now()
	var next time.Time
	switch {
	case !c.frames.inMessage():
		d := c.idleTimeout()
		if d <= 0 {
			return
		}
		next = now.Add(d)
	case c.frames.began:
		if c.l.cfg.MessageTimeout <= 0 {
			next = time.Time{}
			break
		}
		next = now.Add(c.l.cfg.MessageTimeout)
	default:
		return // the message in progress keeps its deadline
	}
	_ = c.Conn.SetReadDeadline(next)
}

func (c *tcpConn) idleTimeout() time.Duration {
	if c.registered.Load() {
		return c.l.cfg.RegisteredIdleTimeout
	}
	return c.l.cfg.IdleTimeout
}

// Write writes as net.Conn does, but a peer that takes nothing for
// MessageTimeout loses the connection: otherwise every answer to it would
// hold a goroutine blocked in Write.
func (c *tcpConn) Write(b []byte) (int, error) {
	if c.l.cfg.MessageTimeout > 0 {
		_ = c.Conn.SetWriteDeadline(time.Now().Add(c.l.cfg.MessageTimeout))
	}
	n, err := c.Conn.Write(b)
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		c.l.metrics.tcpClosed.WithLabelValues(closedWriteTimeout).Inc()
		c.Close()
	}
	return n, err
}

// Close closes the connection and gives back its place; sipgo may call it
// more than once.
func (c *tcpConn) Close() error {
	c.closeOnce.Do(func() { c.l.release(c) })
	return c.Conn.Close()
}

// tcpRegistration answers a REGISTER over TCP and, when it succeeds, keeps
// the connection it came on open for the registration.
type tcpRegistration struct {
	Responder
	l      *tcpListener
	source string
}

func (r *tcpRegistration) Respond(res *sip.Response) error {
	if res.StatusCode == 200 {
		r.l.registered(r.source)
	}
	return r.Responder.Respond(res)
}

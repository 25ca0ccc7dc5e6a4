package peers

import (
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Item 6 and 5 of issue 11: requests from someone who has not proved who
// they are cost the PBX no state and draw one answer each, and nothing a
// peer sends can create metric series.

// rawRequest is a request with no credentials from src, told apart by id.
func rawRequest(method, ruri, src, id string) []byte {
	return []byte(method + " " + ruri + " SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP " + src + ";branch=z9hG4bK-" + id + ";rport\r\n" +
		"From: <sip:attacker@" + src + ">;tag=" + id + "\r\n" +
		"To: <" + ruri + ">\r\n" +
		"Call-ID: " + id + "\r\n" +
		"CSeq: 1 " + method + "\r\n" +
		"Max-Forwards: 70\r\n" +
		"Contact: <sip:attacker@" + src + ">\r\n" +
		"Content-Length: 0\r\n\r\n")
}

var (
	callIDLine = regexp.MustCompile(`(?m)^Call-ID: (\S+)\r$`)
	toTagLine  = regexp.MustCompile(`(?m)^To: (.*;tag=\S+)\r$`)
)

// answers collects the responses a raw UDP socket receives, by Call-ID.
type answers struct {
	mu     sync.Mutex
	byID   map[string][]string // whole answers
	total  int
	signal chan struct{}
	done   chan struct{}
}

func collect(conn *net.UDPConn) *answers {
	a := &answers{byID: map[string][]string{}, signal: make(chan struct{}, 1), done: make(chan struct{})}
	go func() {
		defer close(a.done)
		buf := make([]byte, 65535)
		for {
			n, _, err := conn.ReadFromUDP(buf)
			if err != nil {
				return // closed by the test
			}
			msg := buf[:n]
			m := callIDLine.FindSubmatch(msg)
			if m == nil {
				continue
			}
			a.mu.Lock()
			a.byID[string(m[1])] = append(a.byID[string(m[1])], string(msg))
			a.total++
			a.mu.Unlock()
			select {
			case a.signal <- struct{}{}:
			default:
			}
		}
	}()
	return a
}

// settle waits until n requests are answered or no answer came for a second.
func (a *answers) settle(n int) {
	for a.answered() < n {
		select {
		case <-a.signal:
		case <-time.After(time.Second):
			return
		}
	}
}

// answered returns how many requests got at least one answer.
func (a *answers) answered() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.byID)
}

func (a *answers) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.total
}

// blast sends n requests made by mk from conn to server, keeping at most
// window unanswered at once so the kernel's buffers do not drop them; it
// goes on after a second without answers (a dropped request is no hang).
func blast(t *testing.T, conn *net.UDPConn, server *net.UDPAddr, a *answers, n, window int, mk func(i int) []byte) {
	t.Helper()
	lost := 0 // requests given up on: dropped, or never to be answered
	for i := 0; i < n; i++ {
		for i-a.count()-lost >= window {
			select {
			case <-a.signal:
			case <-time.After(time.Second):
				lost = i - a.count()
			}
		}
		if _, err := conn.WriteToUDP(mk(i), server); err != nil {
			t.Fatalf("send: %v", err)
		}
	}
}

func listenUDP(t *testing.T, ip string) *net.UDPConn {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(ip)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// metricInt reads one integer sample from /metrics (0 if absent).
func (p *pbx) metricInt(name string) int {
	f, _ := strconv.ParseFloat(p.metric(name), 64)
	return int(f)
}

// TestUnauthenticatedInviteAnsweredOnce sends one INVITE with no
// credentials and counts what comes back in 5 s: a server transaction
// would resend its 407 at 0.5, 1, 2 and 4 s (RFC 3261 17.2.1, Timer G).
// The ACK to that 407 must be absorbed, not answered.
func TestUnauthenticatedInviteAnsweredOnce(t *testing.T) {
	p := startPBX(t, "127.0.0.110", "")
	server := &net.UDPAddr{IP: net.ParseIP(p.ip), Port: p.sipPort}
	conn := listenUDP(t, "127.0.0.111")
	a := collect(conn)
	src := conn.LocalAddr().String()

	invite := rawRequest("INVITE", "sip:+19005550100@"+p.ip, src, "once-1")
	conn.WriteToUDP(invite, server)
	select {
	case <-a.signal:
	case <-time.After(5 * time.Second):
		t.Fatal("no answer to the INVITE")
	}
	a.mu.Lock()
	first := a.byID["once-1"][0]
	a.mu.Unlock()
	if !strings.HasPrefix(first, "SIP/2.0 407 ") || !strings.Contains(first, "\r\nProxy-Authenticate: Digest ") {
		t.Fatalf("answer %q, want a 407 challenge", first)
	}

	// Whatever else arrives within Timer G's first four retransmissions,
	// which an ACK would stop.
	time.Sleep(5 * time.Second)
	a.mu.Lock()
	got := a.byID["once-1"]
	a.mu.Unlock()
	if len(got) != 1 {
		t.Errorf("%d answers to one INVITE in 5 s, want 1", len(got))
	}
	before := len(got)

	// The ACK to a non-2xx answer (RFC 3261 17.1.1.3): same branch, the
	// To of the answer. It is absorbed: no answer, and no transaction.
	ack := strings.Replace(string(invite), "INVITE sip:", "ACK sip:", 1)
	ack = strings.Replace(ack, "CSeq: 1 INVITE", "CSeq: 1 ACK", 1)
	if m := toTagLine.FindStringSubmatch(first); m != nil {
		ack = regexp.MustCompile(`(?m)^To: .*\r$`).ReplaceAllLiteralString(ack, "To: "+m[1]+"\r")
	}
	conn.WriteToUDP([]byte(ack), server)
	conn.WriteToUDP(rawRequest("OPTIONS", "sip:"+p.ip, src, "after-ack"), server)
	waitFor(t, "the OPTIONS sent after the ACK to be answered", 5*time.Second, func() bool {
		a.mu.Lock()
		defer a.mu.Unlock()
		return len(a.byID["after-ack"]) > 0
	})
	a.mu.Lock()
	got = a.byID["once-1"]
	a.mu.Unlock()
	if len(got) != before {
		t.Errorf("the ACK drew %d answers: %q", len(got)-before, got[before:])
	}
	if n := p.metricInt(`pbx_sip_requests_total{code="407",method="INVITE"}`); n != 1 {
		t.Errorf("pbx_sip_requests_total 407/INVITE = %d, want 1", n)
	}
}

// TestUnauthenticatedFloodHoldsNoState sends 20,000 INVITEs with no
// credentials (the rate limit off, so each one reaches the SIP stack) and
// checks that each drew exactly one 407 and that the server's heap and
// goroutines did not grow with them: a transaction per INVITE held about
// 10 KB for 32 s.
func TestUnauthenticatedFloodHoldsNoState(t *testing.T) {
	p := startPBX(t, "127.0.0.112", "", "PBX_SIP_RATE_LIMIT=0", "PBX_GUARD_MAX_FAILURES=0")
	server := &net.UDPAddr{IP: net.ParseIP(p.ip), Port: p.sipPort}
	conn := listenUDP(t, "127.0.0.113")
	a := collect(conn)
	src := conn.LocalAddr().String()

	heap0 := p.metricInt("go_memstats_heap_inuse_bytes")
	gr0 := p.metricInt("go_goroutines")
	const n = 20000
	start := time.Now()
	blast(t, conn, server, a, n, 50, func(i int) []byte {
		return rawRequest("INVITE", "sip:+1900555"+strconv.Itoa(i)+"@"+p.ip, src, fmt.Sprintf("flood-%d", i))
	})
	a.settle(n)
	took := time.Since(start)
	heap1 := p.metricInt("go_memstats_heap_inuse_bytes")
	gr1 := p.metricInt("go_goroutines")
	// Retransmissions would start 0.5 s after each first answer.
	time.Sleep(time.Second)

	a.mu.Lock()
	ids, dup := len(a.byID), 0
	for _, lines := range a.byID {
		dup += len(lines) - 1
	}
	a.mu.Unlock()
	t.Logf("%d INVITEs in %v: %d answered, %d answered more than once; heap in use %d -> %d MB, goroutines %d -> %d",
		n, took.Round(time.Millisecond), ids, dup, heap0>>20, heap1>>20, gr0, gr1)
	if ids < n*99/100 {
		t.Errorf("%d of %d INVITEs answered", ids, n)
	}
	if dup != 0 {
		t.Errorf("%d answers were repeated: a transaction retransmitted them", dup)
	}
	if heap1-heap0 > 40<<20 {
		t.Errorf("heap in use grew by %d MB for %d refused INVITEs", (heap1-heap0)>>20, n)
	}
	if gr1-gr0 > 100 {
		t.Errorf("goroutines grew from %d to %d", gr0, gr1)
	}
}

// TestUniqueMethodsLeaveBoundedSeries sends 100,000 requests, each with a
// method never seen before: each gets one 501, and /metrics keeps a
// handful of pbx_sip_requests_total series.
func TestUniqueMethodsLeaveBoundedSeries(t *testing.T) {
	p := startPBX(t, "127.0.0.114", "", "PBX_SIP_RATE_LIMIT=0")
	server := &net.UDPAddr{IP: net.ParseIP(p.ip), Port: p.sipPort}
	conn := listenUDP(t, "127.0.0.115")
	a := collect(conn)
	src := conn.LocalAddr().String()

	const n = 100000
	blast(t, conn, server, a, n, 50, func(i int) []byte {
		return rawRequest("M"+strconv.FormatInt(int64(i), 36), "sip:x@"+p.ip, src, fmt.Sprintf("method-%d", i))
	})
	a.settle(n)
	time.Sleep(time.Second) // room for retransmissions, which must not come

	series := 0
	for _, line := range p.metricLines() {
		if strings.HasPrefix(line, "pbx_sip_requests_total{") {
			series++
		}
	}
	a.mu.Lock()
	ids, dup, not501 := len(a.byID), 0, 0
	for _, lines := range a.byID {
		dup += len(lines) - 1
		if !strings.HasPrefix(lines[0], "SIP/2.0 501 ") {
			not501++
		}
	}
	a.mu.Unlock()
	t.Logf("%d unique methods: %d answered (%d not 501, %d repeated), %d pbx_sip_requests_total series", n, ids, not501, dup, series)
	if series > 10 {
		t.Errorf("%d pbx_sip_requests_total series after %d unique methods", series, n)
	}
	if ids < n*99/100 || not501 != 0 || dup != 0 {
		t.Errorf("want one 501 for each request")
	}
}

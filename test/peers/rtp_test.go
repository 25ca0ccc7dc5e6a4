package peers

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// The tests in this file attack the media ports as issue 11 found them
// open: a third host sweeping the RTP range during a call (RTP Bleed), and
// a user flooding refused INVITEs that are never ACKed to use up the ports.

// rtpEnd is one party's media: a UDP socket at the address its SDP names,
// sending a 20 ms PCMU packet every 20 ms to the PBX and counting what it
// receives from the other party.
type rtpEnd struct {
	conn *net.UDPConn
	ssrc uint32

	mu    sync.Mutex
	to    netip.AddrPort
	got   map[uint32]int // packets received, by SSRC
	times []time.Time    // when each packet from the other party (want) arrived
	want  uint32
	sent  atomic.Int64
	stop  chan struct{}
	done  sync.WaitGroup
}

func newRTPEnd(t *testing.T, ip string, port int, ssrc uint32) *rtpEnd {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(ip), Port: port})
	if err != nil {
		t.Fatal(err)
	}
	e := &rtpEnd{conn: c, ssrc: ssrc, got: map[uint32]int{}, stop: make(chan struct{})}
	e.done.Go(e.read)
	t.Cleanup(e.close)
	return e
}

func (e *rtpEnd) read() {
	buf := make([]byte, 1500)
	for {
		n, err := e.conn.Read(buf)
		if err != nil {
			return
		}
		var h rtp.Header
		if _, err := h.Unmarshal(buf[:n]); err != nil {
			continue
		}
		e.mu.Lock()
		e.got[h.SSRC]++
		if h.SSRC == e.want {
			e.times = append(e.times, time.Now())
		}
		e.mu.Unlock()
	}
}

// talk sends to the PBX at to, from now until close, and counts packets
// from the party with SSRC want.
func (e *rtpEnd) talk(to netip.AddrPort, want uint32) {
	e.mu.Lock()
	e.to, e.want = to, want
	e.mu.Unlock()
	e.done.Go(func() {
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		pkt := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SSRC: e.ssrc}, Payload: make([]byte, 160)}
		for {
			select {
			case <-e.stop:
				return
			case <-t.C:
			}
			pkt.SequenceNumber++
			pkt.Timestamp += 160
			b, _ := pkt.Marshal()
			if _, err := e.conn.WriteToUDPAddrPort(b, to); err == nil {
				e.sent.Add(1)
			}
		}
	})
}

// heard returns the packets received from the other party, and of those
// the ones that arrived in [from, to).
func (e *rtpEnd) heard(from, to time.Time) (all, within int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, at := range e.times {
		if !at.Before(from) && at.Before(to) {
			within++
		}
	}
	return len(e.times), within
}

// strangers returns the packets received from anyone but the other party.
func (e *rtpEnd) strangers() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for ssrc, c := range e.got {
		if ssrc != e.want {
			n += c
		}
	}
	return n
}

func (e *rtpEnd) close() {
	select {
	case <-e.stop:
	default:
		close(e.stop)
	}
	e.conn.Close()
	e.done.Wait()
}

// readPort waits for sipp to write the PBX's media port to path.
func readPort(t *testing.T, path string, within time.Duration) int {
	t.Helper()
	var port int
	waitFor(t, filepath.Base(path), within, func() bool {
		b, err := os.ReadFile(path)
		if err != nil {
			return false
		}
		port, err = strconv.Atoi(strings.TrimSpace(string(b)))
		return err == nil
	})
	return port
}

// sweeper is an attacker on another address sending 4-packet RTP bursts,
// with consecutive sequence numbers and one SSRC, to every port of a range,
// over and over, and counting what comes back (RTP Bleed).
type sweeper struct {
	conn     *net.UDPConn
	received atomic.Int64
	bursts   atomic.Int64
	stop     chan struct{}
	done     sync.WaitGroup
}

func startSweeper(t *testing.T, ip, target string, low, high int) *sweeper {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(ip)})
	if err != nil {
		t.Fatal(err)
	}
	s := &sweeper{conn: c, stop: make(chan struct{})}
	s.done.Go(func() {
		buf := make([]byte, 1500)
		for {
			if _, err := c.Read(buf); err != nil {
				return
			}
			s.received.Add(1)
		}
	})
	dst := netip.MustParseAddr(target)
	s.done.Go(func() {
		pkt := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SSRC: 0x5eeb}, Payload: make([]byte, 160)}
		for {
			for port := low; port <= high; port++ {
				for range 4 {
					pkt.SequenceNumber++
					pkt.Timestamp += 160
					b, _ := pkt.Marshal()
					c.WriteToUDPAddrPort(b, netip.AddrPortFrom(dst, uint16(port)))
				}
				s.bursts.Add(1)
			}
			select {
			case <-s.stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	})
	t.Cleanup(s.close)
	return s
}

func (s *sweeper) close() {
	select {
	case <-s.stop:
	default:
		close(s.stop)
	}
	s.conn.Close()
	s.done.Wait()
}

// TestRTPSweepFindsNothing: a carrier's call (sipp) reaches an agent's
// phone (sipp), each side's media sent and counted by the test. Half a
// second into the call a third address sweeps the whole RTP range with
// 4-packet bursts, as the RTP Bleed attack does, until the call ends. The
// sweeper receives nothing, and both parties hear each other for the rest
// of the call.
func TestRTPSweepFindsNothing(t *testing.T) {
	const (
		pbxIP, carrierIP, agentIP, attackerIP = "127.0.71.1", "127.0.71.2", "127.0.71.3", "127.0.71.4"
		number                                = "+15550071001"
		low, high                             = 35000, 35199
		carrierRTP, agentRTP                  = 35500, 35510
	)
	p := startPBX(t, pbxIP, "", fmt.Sprintf("PBX_RTP_PORTS=%d-%d", low, high))
	trunk := p.carrierTrunk(carrierIP)
	p.addNumber(number, trunk)
	agent := p.createAgent("7101", "pass-7101")
	p.publishFlow(number,
		[]state{{"id": "agent", "type": "transfer_user", "user_id": agent, "ring_seconds": 10}},
		[]map[string]any{conn("start", "next", "agent")})
	registerPhone(t, p, "7101", "pass-7101", agentIP, 25710)

	dir := outDir(t)
	agentDir, carrierDir := filepath.Join(dir, "agent"), filepath.Join(dir, "carrier")
	for _, d := range []string{agentDir, carrierDir} {
		os.MkdirAll(d, 0o755)
		os.Remove(filepath.Join(d, "pbx_port_agent"))
		os.Remove(filepath.Join(d, "pbx_port_caller"))
	}
	caller := newRTPEnd(t, carrierIP, carrierRTP, 0xca11e7)
	callee := newRTPEnd(t, agentIP, agentRTP, 0xa9e27)
	phone := startUAS(t, agentDir, "agent", "agent-rtp-uas.xml", agentIP, 25710, 35520, 1, "-key", "rtp_port", fmt.Sprint(agentRTP))
	carrier := startCarrier(t, p, carrierDir, "carrier", "carrier-rtp-uac.xml", number, "+15550071099",
		carrierIP, 25711, 35530, "rtp_port", fmt.Sprint(carrierRTP))

	agentLeg := readPort(t, filepath.Join(agentDir, "pbx_port_agent"), 10*time.Second)
	callerLeg := readPort(t, filepath.Join(carrierDir, "pbx_port_caller"), 10*time.Second)
	answered := time.Now()
	pbxAddr := netip.MustParseAddr(pbxIP)
	caller.talk(netip.AddrPortFrom(pbxAddr, uint16(callerLeg)), callee.ssrc)
	callee.talk(netip.AddrPortFrom(pbxAddr, uint16(agentLeg)), caller.ssrc)

	time.Sleep(500 * time.Millisecond) // the attack starts once the call has audio
	attack := startSweeper(t, attackerIP, pbxIP, low, high)
	carrier.finished(t, 20*time.Second)
	ended := time.Now()
	attack.close()
	phone.finished(t, 5*time.Second)
	caller.close()
	callee.close()

	// The last 6 s of the call, all under attack; 300 packets at 20 ms.
	from, to := ended.Add(-6500*time.Millisecond), ended.Add(-500*time.Millisecond)
	agentAll, agentLate := callee.heard(from, to)
	callerAll, callerLate := caller.heard(from, to)
	t.Logf("call answered %s before it ended; the sweeper sent %d bursts of 4 and received %d packets",
		ended.Sub(answered).Round(time.Millisecond), attack.bursts.Load(), attack.received.Load())
	t.Logf("agent heard %d of the caller's %d packets (%d of 300 in the last 6 s); caller heard %d of %d (%d of 300); strangers heard: agent %d, caller %d",
		agentAll, caller.sent.Load(), agentLate, callerAll, callee.sent.Load(), callerLate, callee.strangers(), caller.strangers())
	if n := attack.received.Load(); n != 0 {
		t.Errorf("the sweeper received %d packets of the call", n)
	}
	// 80%: a loaded test machine delays some of the test's own 20 ms ticks;
	// a hijacked leg loses far more (114 and 134 of 300 before the fix).
	if agentLate < 240 || callerLate < 240 {
		t.Errorf("in the last 6 s of the call the agent heard %d and the caller %d of 300 packets; the attack cut the audio", agentLate, callerLate)
	}
	if callee.strangers() != 0 || caller.strangers() != 0 {
		t.Errorf("the sweeper's audio reached the agent (%d packets) or the caller (%d)", callee.strangers(), caller.strangers())
	}
	foreign, _ := strconv.Atoi(p.metric("pbx_rtp_foreign_packets_total"))
	if foreign < 8 {
		t.Errorf("pbx_rtp_foreign_packets_total = %q; want the sweeper's packets to both legs counted", p.metric("pbx_rtp_foreign_packets_total"))
	}
	t.Logf("pbx_rtp_foreign_packets_total %d", foreign)
}

// TestRefusedInviteFloodLeavesCarrierCallsConnecting: a phone user with no
// right to call out sends 250 INVITE/s (sipp, with credentials) for 30 s
// and never ACKs the 403s, with a media range of 20 port pairs. Meanwhile a
// carrier (sipp) calls an agent (sipp) over and over, one call after the
// other (an agent takes one call at a time): every call connects, and the
// ports in use stay within what the carrier's call needs.
func TestRefusedInviteFloodLeavesCarrierCallsConnecting(t *testing.T) {
	const (
		pbxIP, carrierIP, agentIP, userIP = "127.0.72.1", "127.0.72.2", "127.0.72.3", "127.0.72.4"
		number                            = "+15550072001"
		carrierCalls                      = 8 // of about 3.5 s each, back to back
	)
	sipp := need(t, "sipp", "sip-tester")
	p := startPBX(t, pbxIP, "", "PBX_RTP_PORTS=35400-35439")
	trunk := p.carrierTrunk(carrierIP)
	p.addNumber(number, trunk)
	agent := p.createAgent("7201", "pass-7201")
	p.createUser("7202", "pass-7202") // may not call out
	p.publishFlow(number,
		[]state{{"id": "agent", "type": "transfer_user", "user_id": agent, "ring_seconds": 10}},
		[]map[string]any{conn("start", "next", "agent")})
	registerPhone(t, p, "7201", "pass-7201", agentIP, 25720)

	dir := outDir(t)
	agentDir, carrierDir, userDir := filepath.Join(dir, "agent"), filepath.Join(dir, "carrier"), filepath.Join(dir, "user")
	for _, d := range []string{agentDir, carrierDir, userDir} {
		os.MkdirAll(d, 0o755)
	}
	os.Symlink("/usr/share/sip-tester", filepath.Join(carrierDir, "pcap"))
	phone := startUAS(t, agentDir, "agent", "agent-answer-uas.xml", agentIP, 25720, 35600, carrierCalls, "-rtp_echo")

	users := filepath.Join(userDir, "user.csv")
	os.WriteFile(users, []byte("SEQUENTIAL\n+15550072099;7202;[authentication username=7202 password=pass-7202]\n"), 0o644)
	flood := startSipp(t, sipp, userDir, p.sipAddr(), "-sf", scenario("user-refused-uac.xml"), "-inf", users,
		"-s", "+4930123456", "-auth_uri", "+4930123456@"+p.sipAddr(), "-i", userIP, "-p", "25722", "-mi", userIP,
		"-r", "250", "-l", "100000", "-m", "7500", "-timeout", "60s", "-trace_stat", "-stf", "flood.csv")

	// Ports in use, sampled through the flood.
	var peak atomic.Int64
	stop := make(chan struct{})
	var sampling sync.WaitGroup
	sampling.Go(func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(250 * time.Millisecond):
			}
			if n, err := strconv.Atoi(p.metric("pbx_rtp_ports_in_use")); err == nil && int64(n) > peak.Load() {
				peak.Store(int64(n))
			}
		}
	})
	time.Sleep(2 * time.Second) // the flood is at full rate before the first carrier call
	out, err := run(t, 90*time.Second, carrierDir, sipp, p.sipAddr(), "-sf", scenario("carrier-call-uac.xml"), "-s", number,
		"-i", carrierIP, "-p", "25721", "-mi", carrierIP, "-mp", "35700", "-r", "10", "-l", "1", "-m", fmt.Sprint(carrierCalls),
		"-nostdin", "-timeout", "80s", "-trace_err", "-trace_stat", "-stf", "carrier.csv")
	close(stop)
	sampling.Wait()
	succ, fail := sippCounts(t, filepath.Join(carrierDir, "carrier.csv"))
	refused := p.requestCount("INVITE")
	t.Logf("carrier: %d calls connected, %d failed; INVITEs answered: %d; peak ports in use: %d pairs",
		succ, fail, refused, peak.Load())
	if err != nil || succ != carrierCalls || fail != 0 {
		t.Fatalf("carrier calls during the flood: %d connected, %d failed (%v)\n%s\nagent:\n%s\nflood:\n%s",
			succ, fail, err, tail(out, 30), tail(phone.out.String(), 10), tail(flood.String(), 20))
	}
	if refused < 7500 { // a 407 and a 403 for each of the flood's 7500 calls
		t.Fatalf("only %d INVITEs answered: the flood did not run at rate\n%s", refused, tail(flood.String(), 30))
	}
	// The carrier's call holds two pairs; the flood takes none.
	if peak.Load() > 4 {
		t.Errorf("peak ports in use %d pairs; the refused calls held ports", peak.Load())
	}
}

package peers

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// sniffHeader returns the last value of header that a sipp -trace_msg log
// shows sent: what an attacker on the path would have captured.
func sniffHeader(t *testing.T, dir, pattern, header string) string {
	t.Helper()
	logs, _ := filepath.Glob(filepath.Join(dir, pattern))
	if len(logs) == 0 {
		t.Fatalf("no sipp message log %s in %s", pattern, dir)
	}
	b, err := os.ReadFile(logs[len(logs)-1])
	if err != nil {
		t.Fatal(err)
	}
	var value string
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), header+": "); ok {
			value = v
		}
	}
	if value == "" {
		t.Fatalf("sipp sent no %s header:\n%s", header, tail(string(b), 40))
	}
	return value
}

// exchange sends one SIP request over UDP from the address from and
// returns the status codes heard until a final one (or nothing within
// 4 s), with the final response's text.
func exchange(t *testing.T, from, to, msg string) ([]int, string) {
	t.Helper()
	laddr, err := net.ResolveUDPAddr("udp", from)
	if err != nil {
		t.Fatal(err)
	}
	raddr, err := net.ResolveUDPAddr("udp", to)
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.ListenUDP("udp", laddr)
	if err != nil {
		t.Fatalf("bind %s: %v", from, err)
	}
	defer c.Close()
	msg = strings.ReplaceAll(strings.TrimLeft(msg, "\n"), "\n", "\r\n")
	if _, err := c.WriteToUDP([]byte(msg), raddr); err != nil {
		t.Fatal(err)
	}
	var codes []int
	buf := make([]byte, 65535)
	deadline := time.Now().Add(4 * time.Second)
	for {
		c.SetReadDeadline(deadline)
		n, _, err := c.ReadFromUDP(buf)
		if err != nil {
			return codes, ""
		}
		res := string(buf[:n])
		line, _, _ := strings.Cut(res, "\r\n")
		f := strings.Fields(line)
		if len(f) < 2 || f[0] != "SIP/2.0" {
			continue // a request (the PBX pinging us), not our answer
		}
		code, _ := strconv.Atoi(f[1])
		codes = append(codes, code)
		if code >= 200 {
			return codes, res
		}
	}
}

var branchSeq int

// replayInvite builds an INVITE from ip:port to uri carrying auth as its
// Proxy-Authorization, as an attacker replaying a sniffed header would.
func replayInvite(from, pbxAddr, number, auth string) string {
	branchSeq++
	host, port, _ := net.SplitHostPort(from)
	body := fmt.Sprintf("v=0\no=- 1 1 IN IP4 %s\ns=-\nc=IN IP4 %s\nt=0 0\nm=audio 29000 RTP/AVP 8\na=rtpmap:8 PCMA/8000\n", host, host)
	body = strings.ReplaceAll(body, "\n", "\r\n")
	return fmt.Sprintf(`
INVITE sip:%[1]s@%[2]s SIP/2.0
Via: SIP/2.0/UDP %[3]s:%[4]s;branch=z9hG4bK-replay-%[5]d;rport
From: <sip:+15550003333@%[2]s>;tag=replay%[5]d
To: <sip:%[1]s@%[2]s>
Call-ID: replay-%[5]d@%[3]s
CSeq: 2 INVITE
Contact: <sip:7101@%[3]s:%[4]s>
Proxy-Authorization: %[6]s
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: %[7]d

`, number, pbxAddr, host, port, branchSeq, auth, len(body)) + body
}

// replayRegister builds a REGISTER for user from ip:port with contact,
// carrying auth as its Authorization.
func replayRegister(from, pbxAddr, user, contact, auth string) string {
	branchSeq++
	host, port, _ := net.SplitHostPort(from)
	pbxHost, _, _ := net.SplitHostPort(pbxAddr)
	return fmt.Sprintf(`
REGISTER sip:%[2]s SIP/2.0
Via: SIP/2.0/UDP %[3]s:%[4]s;branch=z9hG4bK-replay-%[5]d;rport
From: <sip:%[1]s@%[6]s>;tag=replay%[5]d
To: <sip:%[1]s@%[6]s>
Call-ID: replay-%[5]d@%[3]s
CSeq: 7 REGISTER
Contact: <%[7]s>
Authorization: %[8]s
Max-Forwards: 70
Expires: 3600
Content-Length: 0

`, user, pbxAddr, host, port, branchSeq, pbxHost, contact, auth)
}

// TestReplayedCredentialsPlaceNoCallAndRegisterNoDevice: a phone user
// (sipp) places a real call through the trunk to a carrier (sipp), and
// registers. An attacker who sniffed both requests replays their
// Proxy-Authorization and Authorization headers from another address,
// with premium-rate numbers and its own Contact, and from the phone's own
// address: no replay reaches the carrier and none adds a binding. It holds
// with nonces bound to the address challenged, and without (roaming
// phones), where the Request-URI and nonce-count checks alone stop them.
func TestReplayedCredentialsPlaceNoCallAndRegisterNoDevice(t *testing.T) {
	t.Run("nonce bound to the source", func(t *testing.T) { replayAttack(t) })
	t.Run("nonce_bind_source false", func(t *testing.T) { replayAttack(t, "PBX_SIP_NONCE_BIND_SOURCE=false") })
}

func replayAttack(t *testing.T, env ...string) {
	sipp := need(t, "sipp", "sip-tester")
	const (
		pbxIP     = "127.0.1.10"
		carrierIP = "127.0.1.11"
		phoneIP   = "127.0.1.12"
		attacker  = "127.0.1.13:25300"
	)
	p := startPBX(t, pbxIP, "", append(env, "PBX_RTP_PORTS=26000-26999")...)
	if code := p.api("POST", "/api/v1/numbers", map[string]any{"e164": "+15550003333", "type": "local", "country": "US", "region": "Test"}, nil); code != 201 {
		t.Fatalf("number: %d", code)
	}
	if code := p.api("POST", "/api/v1/users", map[string]any{"name": "Caller", "extension": "7101", "sip_password": "caller-pass-1",
		"allow_outbound": true, "caller_ids": []string{"+15550003333"}}, nil); code != 201 {
		t.Fatalf("user: %d", code)
	}
	if code := p.api("POST", "/api/v1/trunks", map[string]any{"name": "Carrier", "host": carrierIP, "port": 25293}, nil); code != 201 {
		t.Fatalf("trunk: %d", code)
	}
	dir := outDir(t)
	os.Symlink("/usr/share/sip-tester", filepath.Join(dir, "pcap"))
	scenario := func(name string) string { s, _ := filepath.Abs("testdata/" + name); return s }
	// The carrier answers every call it is offered: any replayed call
	// that got through would show in its message log.
	carrier := startSipp(t, sipp, dir, "-sn", "uas", "-i", carrierIP, "-p", "25293",
		"-mi", carrierIP, "-mp", "27100", "-rtp_echo", "-trace_msg", "-message_file", "carrier.log")

	users := filepath.Join(dir, "caller.csv")
	os.WriteFile(users, []byte("SEQUENTIAL\n+15550003333;7101;[authentication username=7101 password=caller-pass-1]\n"), 0o644)
	out, err := run(t, time.Minute, dir, sipp, p.sipAddr(), "-sf", scenario("user-call-uac.xml"), "-inf", users,
		"-s", "+4930123456", "-auth_uri", "+4930123456@"+p.sipAddr(), "-i", phoneIP, "-p", "25294", "-mi", phoneIP, "-m", "1", "-nostdin",
		"-timeout", "30s", "-trace_err", "-trace_msg", "-message_file", "caller.log")
	if err != nil {
		t.Fatalf("the real call failed: %v\n%s\ncarrier:\n%s", err, tail(out, 30), tail(carrier.String(), 30))
	}
	p.waitCalls(1)
	sniffed := sniffHeader(t, dir, "caller.log", "Proxy-Authorization")
	t.Logf("sniffed Proxy-Authorization: %s", sniffed)

	invites := []struct{ name, from, number string }{
		{"another address, a premium number", attacker, "+19005550100"},
		{"another address, an international number", attacker, "+88213000000"},
		{"another address, the same number", attacker, "+4930123456"},
		{"the phone's own address, the same number", phoneIP + ":25294", "+4930123456"},
	}
	for _, r := range invites {
		codes, res := exchange(t, r.from, p.sipAddr(), replayInvite(r.from, p.sipAddr(), r.number, sniffed))
		final := 0
		if len(codes) > 0 {
			final = codes[len(codes)-1]
		}
		if final != 400 && final != 407 {
			t.Errorf("replayed INVITE from %s: answers %v, want a 400 or a fresh 407 challenge\n%s", r.name, codes, res)
		}
	}
	time.Sleep(500 * time.Millisecond) // a call let through would reach the carrier by now
	log, _ := os.ReadFile(filepath.Join(dir, "carrier.log"))
	if n := strings.Count(string(log), "INVITE sip:"); n != 1 {
		t.Errorf("the carrier was offered %d INVITEs, want only the real call's:\n%s", n,
			strings.Join(regexp.MustCompile(`(?m)^INVITE sip:.*$`).FindAllString(string(log), -1), "\n"))
	}
	p.waitCalls(1)

	// The phone registers for real; its Authorization is replayed with the
	// attacker's Contact.
	regUsers := writeUsers(t, dir, 7101, 1, func(int) string { return "caller-pass-1" })
	out, err = run(t, 30*time.Second, dir, sipp, p.sipAddr(), "-sf", scenario("register-auth.xml"), "-inf", regUsers,
		"-i", phoneIP, "-p", "25295", "-m", "1", "-nostdin", "-timeout", "10s", "-trace_err",
		"-trace_msg", "-message_file", "register.log")
	if err != nil {
		t.Fatalf("the real REGISTER failed: %v\n%s", err, tail(out, 20))
	}
	sniffed = sniffHeader(t, dir, "register.log", "Authorization")
	registers := []struct{ name, from string }{
		{"another address", attacker},
		{"the phone's own address", phoneIP + ":25295"},
	}
	for _, r := range registers {
		codes, res := exchange(t, r.from, p.sipAddr(), replayRegister(r.from, p.sipAddr(), "7101", "sip:7101@127.0.1.13:25300", sniffed))
		if len(codes) != 1 || codes[0] != 401 {
			t.Errorf("replayed REGISTER from %s: answers %v, want 401\n%s", r.name, codes, res)
		}
	}
	regs := p.registrations()
	if len(regs) != 1 || regs[0].Contact != "sip:7101@"+phoneIP+":25295" {
		t.Fatalf("registrations after the replays: %+v, want only the phone's", regs)
	}
}

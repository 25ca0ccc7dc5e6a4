package peers

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// failRegister has sipsak register user with a wrong password from ip:port:
// a challenge, then an answer that fails. It returns sipsak's output.
func failRegister(t *testing.T, p *pbx, user, ip string, port int) string {
	t.Helper()
	sipsak := need(t, "sipsak", "sipsak")
	out, _ := run(t, 10*time.Second, t.TempDir(), sipsak, "-U", "-vv",
		"-s", "sip:"+user+"@"+p.sipAddr(), "-C", fmt.Sprintf("sip:%s@%s:%d", user, ip, port),
		"-u", user, "-a", "wrong-guess", "-x", "300", "-l", fmt.Sprint(port), "--local-ip", ip, "--symmetric")
	return out
}

// TestSpoofedFailuresNeverBlockTheTrunk: an attacker sends failing
// REGISTERs with the carrier trunk's source address (in the test's
// loopback-only namespace any 127.0.0.0/8 address can be sent from), and
// from an allow-listed address, more often than the guard allows. Neither
// address is blocked: the carrier's next call connects and the allowed
// address still registers. The same failures from any other address block
// it, so the attack is real.
func TestSpoofedFailuresNeverBlockTheTrunk(t *testing.T) {
	const (
		pbxIP     = "127.0.1.20"
		carrierIP = "127.0.1.21"
		phoneIP   = "127.0.1.22"
		allowedIP = "127.0.1.25"
		otherIP   = "127.0.1.26"
	)
	p := startPBX(t, pbxIP, "", "PBX_RTP_PORTS=30000-30199", "PBX_GUARD_MAX_FAILURES=5", "PBX_GUARD_ALLOW="+allowedIP+",10.9.0.0/16")
	trunk := p.carrierTrunk(carrierIP)
	p.addNumber("+15550007001", trunk)
	agent := p.createAgent("6201", "agent-pass-6201")
	p.createUser("6202", "office-pass-6202")
	p.publishFlow("+15550007001",
		[]state{{"id": "agent", "type": "transfer_user", "user_id": agent, "ring_seconds": 15}},
		[]map[string]any{conn("start", "next", "agent")})
	dir := outDir(t)
	registerPhone(t, p, "6201", "agent-pass-6201", phoneIP, 25310)

	for i := range 12 {
		for _, ip := range []string{carrierIP, allowedIP, otherIP} {
			if ip == otherIP && i >= 5 {
				continue // blocked by now: sipsak would wait for an answer in vain
			}
			out := failRegister(t, p, "9999", ip, 25320+i)
			if !strings.Contains(out, "SIP/2.0 403") {
				t.Fatalf("wrong password %d from %s was not answered 403:\n%s", i+1, ip, out)
			}
		}
	}
	if got := p.metric("pbx_sip_blocked_sources"); got != "1" {
		t.Fatalf("pbx_sip_blocked_sources = %q, want 1 (the address that is neither the trunk's nor allowed)", got)
	}
	if out := failRegister(t, p, "9999", otherIP, 25340); strings.Contains(out, "SIP/2.0") {
		t.Fatalf("the attacking address is not blocked:\n%s", out)
	}

	answer := startPhone(t, dir, "agent", "agent-answer-uas.xml", phoneIP, 25310, 30400)
	mustCarrierCall(t, p, dir, "carrier", "carrier-call-uac.xml", "+15550007001", carrierIP, 25335, answer)
	answer.finished(t, 5*time.Second)
	if c := p.waitCalls(1)[0]; c.SIPCode != 200 || c.TrunkID == nil || *c.TrunkID != trunk {
		t.Fatalf("the carrier's call: %v", c)
	}
	registerPhone(t, p, "6202", "office-pass-6202", allowedIP, 25336)
}

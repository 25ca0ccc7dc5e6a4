package peers

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"pbx/test/peerkit"
)

// TestCarrierCallReachesAgentWithMedia: sipp plays a carrier that calls one
// of our numbers and streams G.711 from /usr/share/sip-tester; the number's
// flow transfers to a user whose phone (sipp as UAS, registered with sipsak)
// answers and echoes the audio. The call connects, RTP crosses the PBX both
// ways, and the call history holds one answered call.
func TestCarrierCallReachesAgentWithMedia(t *testing.T) {
	sipp := need(t, "sipp", "sip-tester")
	sipsak := need(t, "sipsak", "sipsak")
	if _, err := os.Stat("/usr/share/sip-tester/g711a.pcap"); err != nil {
		t.Fatal("/usr/share/sip-tester/g711a.pcap is missing (Debian package sip-tester)")
	}
	p := startPBX(t, "127.0.0.29", "", "PBX_RTP_PORTS=26000-26999")
	p.createUser("6001", "agent-pass-1")
	var trunk, number, flow struct{ ID uint }
	if code := p.api("POST", "/api/v1/trunks", map[string]any{"name": "Carrier", "host": "127.0.0.30", "inbound_cidrs": []string{"127.0.0.30"}}, &trunk); code != 201 {
		t.Fatalf("trunk: %d", code)
	}
	if code := p.api("POST", "/api/v1/numbers", map[string]any{"e164": "+15550001111", "type": "toll_free", "country": "US", "trunk_id": trunk.ID}, &number); code != 201 {
		t.Fatalf("number: %d", code)
	}
	doc := map[string]any{"name": "Support", "numbers": []string{"+15550001111"},
		"states":      []map[string]any{{"id": "start", "type": "start"}, {"id": "agent", "type": "transfer_user", "user_id": 1, "ring_seconds": 15}},
		"connections": []map[string]any{{"from": "start", "outcome": "next", "to": "agent"}}}
	if code := p.api("POST", "/api/v1/flows", doc, &flow); code != 201 {
		t.Fatalf("flow: %d", code)
	}
	var published map[string]any
	if code := p.api("POST", fmt.Sprintf("/api/v1/flows/%d/publish", flow.ID), nil, &published); code != 200 {
		t.Fatalf("publish: %d %v", code, published)
	}

	// The agent's phone registers from the port its UAS will listen on.
	out, err := run(t, 20*time.Second, t.TempDir(), sipsak, "-U", "-s", "sip:6001@"+p.sipAddr(),
		"-C", "sip:6001@127.0.0.32:25090", "-u", "6001", "-a", "agent-pass-1", "-x", "300",
		"-l", "25090", "--local-ip", "127.0.0.32", "--symmetric")
	if err != nil {
		t.Fatalf("agent register: %v\n%s", err, out)
	}
	dir := outDir(t)
	agent := startSipp(t, sipp, dir, "-sn", "uas", "-i", "127.0.0.32", "-p", "25090",
		"-mi", "127.0.0.32", "-mp", "27000", "-rtp_echo", "-m", "1")

	// The carrier calls, plays 8 s of G.711 A-law, and hangs up.
	os.Symlink("/usr/share/sip-tester", filepath.Join(dir, "pcap"))
	out, err = run(t, time.Minute, dir, sipp, p.sipAddr(), "-sn", "uac_pcap", "-s", "+15550001111",
		"-i", "127.0.0.30", "-p", "25092", "-mi", "127.0.0.30", "-m", "1", "-nostdin", "-timeout", "40s",
		"-trace_err", "-trace_stat", "-stf", "carrier.csv")
	if err != nil {
		t.Fatalf("carrier call failed: %v\n%s\nagent:\n%s", err, tail(out, 30), agent.String())
	}
	if succ, fail := sippCounts(t, filepath.Join(dir, "carrier.csv")); succ != 1 || fail != 0 {
		t.Fatalf("carrier: %d successful, %d failed calls", succ, fail)
	}

	// Audio crossed the PBX both ways: the carrier's stream to the agent,
	// and the agent's echo back.
	waitFor(t, "the call to end", 5*time.Second, func() bool { return p.metric(`pbx_rtp_packets_relayed_total{direction="caller_to_agent"}`) != "" })
	in, _ := strconv.Atoi(p.metric(`pbx_rtp_packets_relayed_total{direction="caller_to_agent"}`))
	back, _ := strconv.Atoi(p.metric(`pbx_rtp_packets_relayed_total{direction="agent_to_caller"}`))
	if in < 100 || back < 100 {
		t.Fatalf("RTP relayed: %d to the agent, %d back; want the 8 s stream each way", in, back)
	}
	t.Logf("RTP relayed: %d packets to the agent, %d back", in, back)

	var calls struct {
		Calls []struct {
			Type        string `json:"type"`
			Direction   string `json:"direction"`
			OwnerUserID *uint  `json:"owner_user_id"`
			SIPCode     int    `json:"sip_code"`
			Number      string `json:"number"`
			Duration    int    `json:"duration_seconds"`
		} `json:"calls"`
	}
	waitFor(t, "the call record", 5*time.Second, func() bool {
		p.api("GET", "/api/v1/calls", nil, &calls)
		return len(calls.Calls) > 0
	})
	c := calls.Calls[0]
	if len(calls.Calls) != 1 || c.Type != "incoming" || c.Direction != "inbound" || c.SIPCode != 200 ||
		c.OwnerUserID == nil || *c.OwnerUserID != 1 || c.Number != "+15550001111" || c.Duration < 5 {
		t.Fatalf("call history: %+v", calls.Calls)
	}
}

// startSipp runs sipp in dir beside the test until the test ends, and
// returns its output.
func startSipp(t *testing.T, sipp, dir string, args ...string) *peerkit.Buffer {
	t.Helper()
	out := peerkit.StartSipp(t, sipp, dir, args...).Out
	time.Sleep(300 * time.Millisecond) // let it bind its ports
	return out
}

// TestOutboundCallThroughTrunkWithDigest: a phone user (sipp) calls an
// outside number; the PBX checks the user may call out, shows one of the
// user's numbers, and sends the call through the trunk to a carrier (sipp)
// that demands digest auth. A user without outbound permission is refused.
func TestOutboundCallThroughTrunkWithDigest(t *testing.T) {
	sipp := need(t, "sipp", "sip-tester")
	p := startPBX(t, "127.0.0.33", "", "PBX_RTP_PORTS=26000-26999")
	var u struct{ ID uint }
	// The caller ID it shows is a number the company owns.
	if code := p.api("POST", "/api/v1/numbers", map[string]any{"e164": "+15550003333", "type": "local", "country": "US", "region": "Test"}, nil); code != 201 {
		t.Fatalf("number: %d", code)
	}
	if code := p.api("POST", "/api/v1/users", map[string]any{"name": "Caller", "extension": "7001", "sip_password": "caller-pass-1",
		"allow_outbound": true, "caller_ids": []string{"+15550003333"}}, &u); code != 201 {
		t.Fatalf("user: %d", code)
	}
	p.createUser("7002", "no-outbound-1") // may not call out
	var trunk struct{ ID uint }
	if code := p.api("POST", "/api/v1/trunks", map[string]any{"name": "Carrier", "host": "127.0.0.34", "port": 25093,
		"username": "pbx-account", "password": "carrier-secret"}, &trunk); code != 201 {
		t.Fatalf("trunk: %d", code)
	}
	dir := outDir(t)
	os.Symlink("/usr/share/sip-tester", filepath.Join(dir, "pcap"))
	scenario := func(name string) string { s, _ := filepath.Abs("testdata/" + name); return s }
	carrier := startSipp(t, sipp, dir, "-sf", scenario("carrier-auth-uas.xml"), "-i", "127.0.0.34", "-p", "25093",
		"-mi", "127.0.0.34", "-mp", "27100", "-rtp_echo", "-m", "1", "-trace_msg")

	users := filepath.Join(dir, "caller.csv")
	os.WriteFile(users, []byte("SEQUENTIAL\n+15550003333;7001;[authentication username=7001 password=caller-pass-1]\n"), 0o644)
	out, err := run(t, time.Minute, dir, sipp, p.sipAddr(), "-sf", scenario("user-call-uac.xml"), "-inf", users,
		"-s", "+4930123456", "-auth_uri", "+4930123456@"+p.sipAddr(), "-i", "127.0.0.35", "-p", "25094", "-mi", "127.0.0.35", "-m", "1", "-nostdin",
		"-timeout", "30s", "-trace_err", "-trace_stat", "-stf", "caller.csv.stats")
	if err != nil {
		t.Fatalf("outbound call failed: %v\n%s\ncarrier:\n%s", err, tail(out, 30), tail(carrier.String(), 30))
	}
	if succ, fail := sippCounts(t, filepath.Join(dir, "caller.csv.stats")); succ != 1 || fail != 0 {
		t.Fatalf("caller: %d successful, %d failed", succ, fail)
	}
	back, _ := strconv.Atoi(p.metric(`pbx_rtp_packets_relayed_total{direction="agent_to_caller"}`))
	if back < 50 {
		t.Fatalf("RTP from the carrier back to the caller: %d packets", back)
	}

	// The refused user: 403, and the carrier never hears of it.
	os.WriteFile(users, []byte("SEQUENTIAL\n+15550003333;7002;[authentication username=7002 password=no-outbound-1]\n"), 0o644)
	out, _ = run(t, time.Minute, dir, sipp, p.sipAddr(), "-sf", scenario("user-call-uac.xml"), "-inf", users,
		"-s", "+4930123456", "-auth_uri", "+4930123456@"+p.sipAddr(), "-i", "127.0.0.35", "-p", "25095", "-mi", "127.0.0.35", "-m", "1", "-nostdin",
		"-timeout", "10s", "-trace_err", "-trace_msg")
	msgs, _ := os.ReadFile(filepath.Join(dir, "user-call-uac_"+sippPID(dir)+"_messages.log"))
	if !strings.Contains(string(msgs), "SIP/2.0 403 Outbound Calls Not Allowed") {
		t.Fatalf("a user without outbound permission was not refused with 403:\n%s\n%s", tail(out, 20), tail(string(msgs), 40))
	}

	// The refused call's record is written just after its 403.
	calls := p.waitCalls(2)
	refused, placed := calls[0], calls[1] // newest first
	if placed.Direction != "outbound" || placed.Type != "outgoing" || placed.SIPCode != 200 || placed.From != "+15550003333" ||
		placed.To != "+4930123456" || owner(placed) != u.ID || refused.SIPCode != 403 {
		t.Fatalf("call history: %v", calls)
	}
}

// sippPID finds the pid sipp put in its trace file names in dir.
func sippPID(dir string) string {
	m, _ := filepath.Glob(filepath.Join(dir, "user-call-uac_*_messages.log"))
	if len(m) == 0 {
		return "none"
	}
	name := filepath.Base(m[len(m)-1])
	return strings.TrimSuffix(strings.TrimPrefix(name, "user-call-uac_"), "_messages.log")
}

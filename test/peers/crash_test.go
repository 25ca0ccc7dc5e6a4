package peers

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCrashMidCallLeavesTheCallInTheHistory: a recorded, billed carrier
// call (sipp) to an agent (sipp) is up and talking when the server is
// killed with SIGKILL. At the next start the call is in the history, ended
// by "server restart", answered by the agent, with its recording (a WAV
// that plays and holds the seconds recorded before the crash) and what it
// paid: exactly what the ledger took for it, each increment once.
func TestCrashMidCallLeavesTheCallInTheHistory(t *testing.T) {
	const (
		pbxIP, carrierIP, phoneIP = "127.0.61.1", "127.0.61.2", "127.0.61.3"
		number                    = "+15550061001"
	)
	data := t.TempDir()
	env := []string{"PBX_RTP_PORTS=33400-33599", "PBX_BILLING_ENABLED=true"}
	p := startPBX(t, pbxIP, data, env...)
	// Inbound calls to the number cost 0.6 a minute, by the second.
	if code := p.api("POST", "/api/v1/rates", map[string]any{"prefix": "1555", "direction": "inbound",
		"price_per_minute": "0.6", "increment": "1/1"}, nil); code != 201 {
		t.Fatalf("rate: %d", code)
	}
	pp := &prepaid{pbx: p}
	pp.buy("10")
	trunk := p.carrierTrunk(carrierIP)
	p.addNumber(number, trunk)
	agent := p.createAgent("7801", "pass-7801")
	p.publishFlow(number,
		[]state{{"id": "agent", "type": "transfer_user", "user_id": agent, "ring_seconds": 10, "record": true}},
		[]map[string]any{conn("start", "next", "agent")})

	dir := outDir(t)
	agentDir, carrierDir := filepath.Join(dir, "agent"), filepath.Join(dir, "carrier")
	os.MkdirAll(agentDir, 0o755)
	os.MkdirAll(carrierDir, 0o755)
	writeRTPPcap(t, filepath.Join(agentDir, "audio.pcap"), tone(1400, 6*time.Second, 8000))
	writeRTPPcap(t, filepath.Join(carrierDir, "audio.pcap"), tone(600, 6*time.Second, 8000))
	registerPhone(t, p, "7801", "pass-7801", phoneIP, 25800)
	startUAS(t, agentDir, "agent", "agent-talk-uas.xml", phoneIP, 25800, 33700, 1)
	carrier := startCarrier(t, p, carrierDir, "carrier", "carrier-talk-uac.xml", number, "+15550061099",
		carrierIP, 25801, 33710)

	// Kill the server two seconds into the conversation.
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(carrier.messages(), "SIP/2.0 200") {
		if time.Now().After(deadline) {
			t.Fatalf("the call was not answered:\n%s", tail(carrier.messages(), 30))
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(2 * time.Second)
	p.cmd.Process.Kill()
	<-p.done
	p.done = nil

	p = startPBX(t, pbxIP, data, env...)
	if !strings.Contains(p.log.String(), "closed a call the server stopped without ending") {
		t.Errorf("the restart did not say it closed the call:\n%s", tail(p.log.String(), 20))
	}
	c := p.mediaCalls(1)[0]
	if c.HangupCause != "server restart" || c.Type != "incoming" || owner(c.callRecord) != agent || c.AnsweredAt == nil ||
		!c.HasRecording || c.RecordingSeconds < 1 || c.RecordingSeconds > 4 {
		t.Fatalf("call record %v; want an answered call owned by %d, ended by the restart, with 1-4 s of recording", c, agent)
	}
	pp = &prepaid{pbx: p}
	var billed []billedCall
	var out struct{ Calls []billedCall }
	p.api("GET", "/api/v1/calls", nil, &out)
	billed = out.Calls
	a := pp.audit()
	if !a.Consistent || len(billed) != 1 || micro(t, billed[0].CreditsCharged) < 10_000 ||
		micro(t, billed[0].CreditsCharged) != 10_000_000-micro(t, a.Balance) {
		t.Fatalf("the call paid %v; the wallet audit says %+v (10 bought)", billed, a)
	}
	t.Logf("the interrupted call paid %s; balance %s", billed[0].CreditsCharged, a.Balance)
	res, wav := p.get(fmt.Sprintf("/api/v1/calls/%d/recording", c.ID))
	if res.StatusCode != 200 {
		t.Fatalf("recording: %d", res.StatusCode)
	}
	rate, ch := wavPCM(t, wav)
	secs := float64(len(ch[0])) / float64(rate)
	if rate != 8000 || len(ch) != 2 || int(secs+0.5) != c.RecordingSeconds {
		t.Fatalf("recording: %d Hz, %d channels, %.1f s; record says %d s", rate, len(ch), secs, c.RecordingSeconds)
	}
	if rms(ch[0]) < 1000 || toneShare(ch[0], 600) < 0.5 {
		t.Errorf("the recording's left channel does not hold the caller's tone (rms %.0f)", rms(ch[0]))
	}
}

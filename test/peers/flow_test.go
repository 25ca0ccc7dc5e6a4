package peers

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"pbx/test/peerkit"
)

// The tests in this file run a carrier's call (sipp) through a flow to
// agents' phones (sipp UAS scenarios registered with sipsak, or baresip), and
// check what each peer saw and the one call record the call leaves.

// callRecord is one entry of GET /api/v1/calls.
type callRecord struct {
	Direction   string     `json:"direction"`
	Type        string     `json:"type"`
	From        string     `json:"from"`
	To          string     `json:"to"`
	Number      string     `json:"number"`
	OwnerUserID *uint      `json:"owner_user_id"`
	TrunkID     *uint      `json:"trunk_id"`
	FlowID      *uint      `json:"flow_id"`
	AnsweredAt  *time.Time `json:"answered_at"`
	Duration    int        `json:"duration_seconds"`
	HangupCause string     `json:"hangup_cause"`
	SIPCode     int        `json:"sip_code"`
}

func (c callRecord) String() string {
	owner := "none"
	if c.OwnerUserID != nil {
		owner = fmt.Sprint(*c.OwnerUserID)
	}
	return fmt.Sprintf("{%s %s from=%s to=%s number=%s owner=%s code=%d cause=%q answered=%v duration=%d}",
		c.Direction, c.Type, c.From, c.To, c.Number, owner, c.SIPCode, c.HangupCause, c.AnsweredAt != nil, c.Duration)
}

// waitCalls waits until the history holds n records and no more arrive
// for a moment, and returns them newest first.
func (p *pbx) waitCalls(n int) []callRecord {
	p.t.Helper()
	var out struct {
		Calls []callRecord `json:"calls"`
		Total int          `json:"total"`
	}
	get := func() []callRecord {
		if code := p.api("GET", "/api/v1/calls", nil, &out); code != 200 {
			p.t.Fatalf("calls: %d", code)
		}
		return out.Calls
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(get()) < n && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // a second record for the same call would be late, not absent
	calls := get()
	if len(calls) != n || out.Total != n {
		p.t.Fatalf("call history has %d records (total %d), want %d: %v", len(calls), out.Total, n, calls)
	}
	return calls
}

// createAgent makes a phone user and returns its id.
func (p *pbx) createAgent(ext, password string) uint {
	p.t.Helper()
	var u struct{ ID uint }
	if code := p.api("POST", "/api/v1/users", map[string]any{"name": "Agent " + ext, "extension": ext, "sip_password": password}, &u); code != 201 {
		p.t.Fatalf("user %s: %d", ext, code)
	}
	return u.ID
}

// carrierTrunk lets calls in from carrierIP and returns the trunk's id.
func (p *pbx) carrierTrunk(carrierIP string) uint {
	p.t.Helper()
	var trunk struct{ ID uint }
	if code := p.api("POST", "/api/v1/trunks", map[string]any{"name": "Carrier", "host": carrierIP, "inbound_cidrs": []string{carrierIP}}, &trunk); code != 201 {
		p.t.Fatalf("trunk: %d", code)
	}
	return trunk.ID
}

func (p *pbx) addNumber(e164 string, trunk uint) {
	p.t.Helper()
	if code := p.api("POST", "/api/v1/numbers", map[string]any{"e164": e164, "type": "toll_free", "country": "US", "trunk_id": trunk}, nil); code != 201 {
		p.t.Fatalf("number %s: %d", e164, code)
	}
}

// state and conn build flow documents.
type state = map[string]any

func conn(from, outcome, to string) map[string]any {
	return map[string]any{"from": from, "outcome": outcome, "to": to}
}

// publishFlow creates a flow for number and publishes it.
func (p *pbx) publishFlow(number string, states []state, conns []map[string]any) uint {
	p.t.Helper()
	states = append([]state{{"id": "start", "type": "start"}}, states...)
	doc := map[string]any{"name": "Flow " + number, "numbers": []string{number}, "states": states, "connections": conns}
	var flow struct{ ID uint }
	var problem any
	if code := p.api("POST", "/api/v1/flows", doc, &flow); code != 201 {
		p.t.Fatalf("flow: %d", code)
	}
	if code := p.api("POST", fmt.Sprintf("/api/v1/flows/%d/publish", flow.ID), nil, &problem); code != 200 {
		p.t.Fatalf("publish: %d %v", code, problem)
	}
	return flow.ID
}

// registerPhone registers ext's contact at ip:port from that address, where
// the phone's sipp will then listen.
func registerPhone(t *testing.T, p *pbx, ext, password, ip string, port int) {
	t.Helper()
	sipsak := need(t, "sipsak", "sipsak")
	addr := fmt.Sprintf("%s:%d", ip, port)
	out, err := run(t, 10*time.Second, t.TempDir(), sipsak, "-U", "-s", "sip:"+ext+"@"+p.sipAddr(),
		"-C", "sip:"+ext+"@"+addr, "-u", ext, "-a", password, "-x", "300",
		"-l", fmt.Sprint(port), "--local-ip", ip, "--symmetric")
	if err != nil {
		t.Fatalf("register %s from %s: %v\n%s", ext, addr, err, out)
	}
}

// phone is a sipp UAS playing one agent's phone for one call.
type phone struct {
	name string
	out  *peerkit.Buffer
	done <-chan error
	msgs string // its SIP message log
}

func scenario(name string) string {
	s, _ := filepath.Abs(filepath.Join("testdata", name))
	return s
}

// startPhone runs sipp with the UAS scenario file on ip:port for one call,
// echoing the caller's RTP from mediaPort.
func startPhone(t *testing.T, dir, name, file, ip string, port, mediaPort int) *phone {
	t.Helper()
	return startUAS(t, dir, name, file, ip, port, mediaPort, 1, "-rtp_echo")
}

// finished waits for the phone's one call to end and fails the test unless
// its scenario ran to the end.
func (ph *phone) finished(t *testing.T, within time.Duration) {
	t.Helper()
	select {
	case err := <-ph.done:
		if err != nil {
			t.Fatalf("%s: scenario failed: %v\n%s\nmessages:\n%s", ph.name, err, tail(ph.out.String(), 15), tail(ph.messages(), 40))
		}
	case <-time.After(within):
		t.Fatalf("%s: its call did not end within %s\nmessages:\n%s", ph.name, within, tail(ph.messages(), 40))
	}
}

// untouched fails the test if the phone received anything.
func (ph *phone) untouched(t *testing.T) {
	t.Helper()
	if m := ph.messages(); strings.Contains(m, "INVITE sip:") {
		t.Fatalf("%s was rung:\n%s", ph.name, tail(m, 30))
	}
}

func (ph *phone) messages() string {
	b, _ := os.ReadFile(ph.msgs)
	return string(b)
}

// firstInvite returns when the phone received its first INVITE, from the
// timestamp sipp writes above each message in its log.
func (ph *phone) firstInvite(t *testing.T) time.Time {
	t.Helper()
	var stamp string
	for _, line := range strings.Split(ph.messages(), "\n") {
		if strings.HasPrefix(line, "----") {
			stamp = strings.TrimSpace(strings.TrimLeft(line, "- "))
		}
		if strings.HasPrefix(line, "INVITE sip:") {
			at, err := time.ParseInLocation("2006-01-02 15:04:05.000000", stamp, time.Local)
			if err != nil {
				t.Fatalf("%s: cannot read the time of its INVITE (%q): %v", ph.name, stamp, err)
			}
			return at
		}
	}
	t.Fatalf("%s was never rung:\n%s", ph.name, tail(ph.messages(), 20))
	return time.Time{}
}

// carrierCall runs one sipp carrier call to number with the UAC scenario
// file from ip:port and returns sipp's output, its message log and its error.
func carrierCall(t *testing.T, p *pbx, dir, name, file, number, ip string, port int) (out, msgs string, err error) {
	t.Helper()
	sipp := need(t, "sipp", "sip-tester")
	os.Symlink("/usr/share/sip-tester", filepath.Join(dir, "pcap"))
	log := filepath.Join(dir, name+"_messages.log")
	os.Remove(log)
	out, err = run(t, 40*time.Second, dir, sipp, p.sipAddr(), "-sf", scenario(file), "-s", number,
		"-i", ip, "-p", fmt.Sprint(port), "-mi", ip, "-m", "1", "-nostdin", "-timeout", "30s", "-timeout_error",
		"-trace_err", "-error_file", filepath.Join(dir, name+"_errors.log"), "-trace_msg", "-message_file", log)
	b, _ := os.ReadFile(log)
	return out, string(b), err
}

// mustCarrierCall is carrierCall for a call that must run to its end.
func mustCarrierCall(t *testing.T, p *pbx, dir, name, file, number, ip string, port int, phones ...*phone) string {
	t.Helper()
	out, msgs, err := carrierCall(t, p, dir, name, file, number, ip, port)
	if err != nil {
		var others strings.Builder
		for _, ph := range phones {
			fmt.Fprintf(&others, "\n%s saw:\n%s", ph.name, tail(ph.messages(), 25))
		}
		t.Fatalf("carrier (%s): %v\n%s\nmessages:\n%s%s", file, err, tail(out, 15), tail(msgs, 40), others.String())
	}
	return msgs
}

func owner(c callRecord) uint {
	if c.OwnerUserID == nil {
		return 0
	}
	return *c.OwnerUserID
}

// TestCallerCancelsWhileRinging: the carrier's caller hangs up while the
// agent's phone rings. The PBX confirms the CANCEL and ends the INVITE with
// 487, cancels the agent's ringing phone too, and records one missed call
// owned by the agent who was rung.
func TestCallerCancelsWhileRinging(t *testing.T) {
	p := startPBX(t, "127.0.0.40", "", "PBX_RTP_PORTS=30000-30199")
	trunk := p.carrierTrunk("127.0.0.41")
	p.addNumber("+15550004001", trunk)
	agent := p.createAgent("6101", "agent-pass-6101")
	p.publishFlow("+15550004001",
		[]state{{"id": "agent", "type": "transfer_user", "user_id": agent, "ring_seconds": 20}},
		[]map[string]any{conn("start", "next", "agent")})

	dir := outDir(t)
	registerPhone(t, p, "6101", "agent-pass-6101", "127.0.0.42", 25100)
	ring := startPhone(t, dir, "agent", "agent-ring-uas.xml", "127.0.0.42", 25100, 30400)

	start := time.Now()
	msgs := mustCarrierCall(t, p, dir, "carrier", "carrier-cancel-uac.xml", "+15550004001", "127.0.0.41", 25101, ring)
	if !strings.Contains(msgs, "SIP/2.0 487 ") {
		t.Fatalf("the carrier got no 487:\n%s", tail(msgs, 40))
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Fatalf("the cancelled call took %s; the ring time is 20 s, so the CANCEL was not acted on", took)
	}
	// The agent's phone stops ringing: it got the PBX's CANCEL and answered 487.
	ring.finished(t, 5*time.Second)

	calls := p.waitCalls(1)
	c := calls[0]
	if c.Direction != "inbound" || c.Type != "missed" || c.SIPCode != 487 || c.HangupCause != "caller hung up" ||
		owner(c) != agent || c.AnsweredAt != nil || c.Number != "+15550004001" || c.TrunkID == nil || *c.TrunkID != trunk {
		t.Fatalf("call record: %v", c)
	}
}

// TestBusyAgentTakesTheBusyExit: the first agent's phone answers 486; the
// flow's busy exit leads to a second agent, who answers. The carrier's call
// connects, and the one record belongs to the second agent.
func TestBusyAgentTakesTheBusyExit(t *testing.T) {
	p := startPBX(t, "127.0.0.43", "", "PBX_RTP_PORTS=30200-30399")
	trunk := p.carrierTrunk("127.0.0.44")
	p.addNumber("+15550004301", trunk)
	first := p.createAgent("6201", "agent-pass-6201")
	second := p.createAgent("6202", "agent-pass-6202")
	flow := p.publishFlow("+15550004301",
		[]state{
			{"id": "first", "type": "transfer_user", "user_id": first, "ring_seconds": 10},
			{"id": "second", "type": "transfer_user", "user_id": second, "ring_seconds": 10}},
		[]map[string]any{conn("start", "next", "first"), conn("first", "busy", "second")})

	dir := outDir(t)
	registerPhone(t, p, "6201", "agent-pass-6201", "127.0.0.45", 25110)
	registerPhone(t, p, "6202", "agent-pass-6202", "127.0.0.46", 25111)
	busy := startPhone(t, dir, "busy-agent", "agent-busy-uas.xml", "127.0.0.45", 25110, 30410)
	answer := startPhone(t, dir, "second-agent", "agent-answer-uas.xml", "127.0.0.46", 25111, 30420)

	mustCarrierCall(t, p, dir, "carrier", "carrier-call-uac.xml", "+15550004301", "127.0.0.44", 25112, busy, answer)
	busy.finished(t, 5*time.Second)
	answer.finished(t, 5*time.Second)

	c := p.waitCalls(1)[0]
	if c.Type != "incoming" || c.SIPCode != 200 || owner(c) != second || c.AnsweredAt == nil ||
		c.FlowID == nil || *c.FlowID != flow || c.HangupCause != "caller hung up" {
		t.Fatalf("call record: %v (want answered by user %d)", c, second)
	}
}

// TestNoAnswerTakesTheTimeoutExit: the first agent's phone rings for the
// state's 5 s and is cancelled; the timeout exit leads to a second agent,
// who answers. On a second number whose flow has no timeout exit, the same
// unanswered ringing ends the carrier's call with 480 No Answer, a missed
// call of the agent who was rung.
func TestNoAnswerTakesTheTimeoutExit(t *testing.T) {
	p := startPBX(t, "127.0.0.47", "", "PBX_RTP_PORTS=30600-30799")
	trunk := p.carrierTrunk("127.0.0.48")
	p.addNumber("+15550004701", trunk)
	p.addNumber("+15550004702", trunk)
	first := p.createAgent("6301", "agent-pass-6301")
	second := p.createAgent("6302", "agent-pass-6302")
	p.publishFlow("+15550004701",
		[]state{
			{"id": "first", "type": "transfer_user", "user_id": first, "ring_seconds": 5},
			{"id": "second", "type": "transfer_user", "user_id": second, "ring_seconds": 10}},
		[]map[string]any{conn("start", "next", "first"), conn("first", "timeout", "second")})
	p.publishFlow("+15550004702",
		[]state{{"id": "first", "type": "transfer_user", "user_id": first, "ring_seconds": 5}},
		[]map[string]any{conn("start", "next", "first")})

	dir := outDir(t)
	registerPhone(t, p, "6301", "agent-pass-6301", "127.0.0.49", 25120)
	registerPhone(t, p, "6302", "agent-pass-6302", "127.0.0.50", 25121)
	ring := startPhone(t, dir, "ringing-agent", "agent-ring-uas.xml", "127.0.0.49", 25120, 30430)
	answer := startPhone(t, dir, "second-agent", "agent-answer-uas.xml", "127.0.0.50", 25121, 30440)

	start := time.Now()
	mustCarrierCall(t, p, dir, "carrier", "carrier-call-uac.xml", "+15550004701", "127.0.0.48", 25122, ring, answer)
	ring.finished(t, time.Second)
	if rang := ring.firstInvite(t); answer.firstInvite(t).Sub(rang) < 4500*time.Millisecond {
		t.Fatalf("the second agent was rung %s after the first; want the first's ring_seconds, 5 s", answer.firstInvite(t).Sub(rang))
	}
	answer.finished(t, 5*time.Second)
	t.Logf("timeout exit: call took %s", time.Since(start).Round(time.Millisecond))

	// The flow without a timeout exit.
	ring = startPhone(t, dir, "ringing-agent-2", "agent-ring-uas.xml", "127.0.0.49", 25120, 30430)
	out, msgs, err := carrierCall(t, p, dir, "carrier-2", "carrier-rejected-uac.xml", "+15550004702", "127.0.0.48", 25123)
	if err != nil || !strings.Contains(msgs, "SIP/2.0 480 No Answer") {
		t.Fatalf("carrier: want 480 No Answer; sipp %v\n%s\n%s", err, tail(out, 10), tail(msgs, 40))
	}
	ring.finished(t, time.Second)

	calls := p.waitCalls(2)
	missed, answered := calls[0], calls[1]
	if answered.Type != "incoming" || answered.SIPCode != 200 || owner(answered) != second {
		t.Fatalf("the call through the timeout exit: %v (want answered by user %d)", answered, second)
	}
	if missed.Type != "missed" || missed.SIPCode != 480 || missed.HangupCause != "no answer" || owner(missed) != first ||
		missed.Number != "+15550004702" {
		t.Fatalf("the unanswered call: %v (want missed by user %d)", missed, first)
	}
}

// TestSequentialGroupRingsInLoginOrder: a sequential group of A, B and C
// (in that order) whose members logged in B, then A, then C rings B, then A
// (5 s each, neither answers and each is cancelled), then C, who answers.
func TestSequentialGroupRingsInLoginOrder(t *testing.T) {
	p := startPBX(t, "127.0.0.51", "", "PBX_RTP_PORTS=30800-30999")
	trunk := p.carrierTrunk("127.0.0.52")
	p.addNumber("+15550005101", trunk)
	a := p.createAgent("6401", "agent-pass-6401")
	b := p.createAgent("6402", "agent-pass-6402")
	c := p.createAgent("6403", "agent-pass-6403")
	var group struct{ ID uint }
	if code := p.api("POST", "/api/v1/groups", map[string]any{"name": "Support", "member_ids": []uint{a, b, c}}, &group); code != 201 {
		t.Fatalf("group: %d", code)
	}
	p.publishFlow("+15550005101",
		[]state{{"id": "support", "type": "transfer_group", "group_id": group.ID, "ring": "sequential", "ring_seconds": 5}},
		[]map[string]any{conn("start", "next", "support")})

	dir := outDir(t)
	registerPhone(t, p, "6402", "agent-pass-6402", "127.0.0.54", 25131) // B
	time.Sleep(300 * time.Millisecond)
	registerPhone(t, p, "6401", "agent-pass-6401", "127.0.0.53", 25130) // A
	time.Sleep(300 * time.Millisecond)
	registerPhone(t, p, "6403", "agent-pass-6403", "127.0.0.55", 25132) // C
	phoneA := startPhone(t, dir, "A", "agent-ring-uas.xml", "127.0.0.53", 25130, 30450)
	phoneB := startPhone(t, dir, "B", "agent-ring-uas.xml", "127.0.0.54", 25131, 30460)
	phoneC := startPhone(t, dir, "C", "agent-answer-uas.xml", "127.0.0.55", 25132, 30470)

	mustCarrierCall(t, p, dir, "carrier", "carrier-call-uac.xml", "+15550005101", "127.0.0.52", 25133, phoneA, phoneB, phoneC)
	phoneB.finished(t, time.Second)
	phoneA.finished(t, time.Second)
	phoneC.finished(t, 5*time.Second)

	atB, atA, atC := phoneB.firstInvite(t), phoneA.firstInvite(t), phoneC.firstInvite(t)
	t.Logf("rung: B at 0, A at %s, C at %s", atA.Sub(atB), atC.Sub(atB))
	if !atB.Before(atA) || !atA.Before(atC) {
		t.Fatalf("ring order: B %s, A %s, C %s; want B, then A, then C (login order)",
			atB.Format(time.StampMicro), atA.Format(time.StampMicro), atC.Format(time.StampMicro))
	}
	if atA.Sub(atB) < 4500*time.Millisecond || atC.Sub(atA) < 4500*time.Millisecond {
		t.Fatalf("each member should ring for 5 s: A rang %s after B, C %s after A", atA.Sub(atB), atC.Sub(atA))
	}

	rec := p.waitCalls(1)[0]
	if rec.Type != "incoming" || rec.SIPCode != 200 || owner(rec) != c {
		t.Fatalf("call record: %v (want answered by C, user %d)", rec, c)
	}
}

// TestParallelGroupCancelsTheOthers: a parallel group rings two agents at
// once; one answers after 1 s and gets the call, the other's phone is
// cancelled (it answers the CANCEL and ends its INVITE with 487).
func TestParallelGroupCancelsTheOthers(t *testing.T) {
	p := startPBX(t, "127.0.0.56", "", "PBX_RTP_PORTS=31000-31199")
	trunk := p.carrierTrunk("127.0.0.57")
	p.addNumber("+15550005601", trunk)
	winner := p.createAgent("6501", "agent-pass-6501")
	loser := p.createAgent("6502", "agent-pass-6502")
	var group struct{ ID uint }
	if code := p.api("POST", "/api/v1/groups", map[string]any{"name": "Sales", "member_ids": []uint{loser, winner}}, &group); code != 201 {
		t.Fatalf("group: %d", code)
	}
	p.publishFlow("+15550005601",
		[]state{{"id": "sales", "type": "transfer_group", "group_id": group.ID, "ring": "parallel", "ring_seconds": 15}},
		[]map[string]any{conn("start", "next", "sales")})

	dir := outDir(t)
	registerPhone(t, p, "6501", "agent-pass-6501", "127.0.0.58", 25140)
	registerPhone(t, p, "6502", "agent-pass-6502", "127.0.0.59", 25141)
	answer := startPhone(t, dir, "answering-agent", "agent-answer-uas.xml", "127.0.0.58", 25140, 30480)
	ring := startPhone(t, dir, "other-agent", "agent-ring-uas.xml", "127.0.0.59", 25141, 30490)

	mustCarrierCall(t, p, dir, "carrier", "carrier-call-uac.xml", "+15550005601", "127.0.0.57", 25142, answer, ring)
	// Both rang at once; the one left ringing got a CANCEL once the other answered.
	if d := ring.firstInvite(t).Sub(answer.firstInvite(t)).Abs(); d > 500*time.Millisecond {
		t.Fatalf("the two agents were rung %s apart; a parallel group rings them together", d)
	}
	ring.finished(t, time.Second)
	if !strings.Contains(ring.messages(), "CANCEL sip:") {
		t.Fatalf("the other agent got no CANCEL:\n%s", tail(ring.messages(), 30))
	}
	answer.finished(t, 5*time.Second)

	c := p.waitCalls(1)[0]
	if c.Type != "incoming" || c.SIPCode != 200 || owner(c) != winner {
		t.Fatalf("call record: %v (want answered by user %d)", c, winner)
	}
}

// TestNumberWithoutFlowIsRefused: a call to one of our numbers that no flow
// uses gets 480 No Call Flow; a call to a number we do not have gets 404
// No Such Number. Each leaves one record.
func TestNumberWithoutFlowIsRefused(t *testing.T) {
	p := startPBX(t, "127.0.0.60", "", "PBX_RTP_PORTS=31200-31399")
	trunk := p.carrierTrunk("127.0.0.61")
	p.addNumber("+15550006001", trunk)
	dir := outDir(t)

	out, msgs, err := carrierCall(t, p, dir, "no-flow", "carrier-rejected-uac.xml", "+15550006001", "127.0.0.61", 25150)
	if err != nil || !strings.Contains(msgs, "SIP/2.0 480 No Call Flow") {
		t.Fatalf("a number without a flow: want 480 No Call Flow; sipp %v\n%s\n%s", err, tail(out, 10), tail(msgs, 30))
	}
	out, msgs, err = carrierCall(t, p, dir, "unknown", "carrier-rejected-uac.xml", "+15550006099", "127.0.0.61", 25151)
	if err != nil || !strings.Contains(msgs, "SIP/2.0 404 No Such Number") {
		t.Fatalf("an unknown number: want 404 No Such Number; sipp %v\n%s\n%s", err, tail(out, 10), tail(msgs, 30))
	}

	calls := p.waitCalls(2)
	unknown, noFlow := calls[0], calls[1]
	if noFlow.SIPCode != 480 || noFlow.Type != "missed" || noFlow.HangupCause != "no flow" || noFlow.Number != "+15550006001" || noFlow.FlowID != nil {
		t.Fatalf("record of the call to a number without a flow: %v", noFlow)
	}
	if unknown.SIPCode != 404 || unknown.Type != "missed" || unknown.HangupCause != "no such number" || unknown.To != "+15550006099" {
		t.Fatalf("record of the call to an unknown number: %v", unknown)
	}
}

// TestInternalCallToExtension: a phone user (sipp, digest auth) dials
// another user's extension; that user's phone (sipp UAS) answers, audio
// flows, and the record is an internal call owned by the callee.
func TestInternalCallToExtension(t *testing.T) {
	p := startPBX(t, "127.0.0.65", "", "PBX_RTP_PORTS=31600-31799")
	caller := p.createAgent("6701", "caller-pass-6701")
	callee := p.createAgent("6702", "callee-pass-6702")
	dir := outDir(t)
	registerPhone(t, p, "6702", "callee-pass-6702", "127.0.0.67", 25170)
	answer := startPhone(t, dir, "callee", "agent-answer-uas.xml", "127.0.0.67", 25170, 30500)

	os.Symlink("/usr/share/sip-tester", filepath.Join(dir, "pcap"))
	users := filepath.Join(dir, "caller.csv")
	os.WriteFile(users, []byte("SEQUENTIAL\n6701;6701;[authentication username=6701 password=caller-pass-6701]\n"), 0o644)
	sipp := need(t, "sipp", "sip-tester")
	out, err := run(t, 30*time.Second, dir, sipp, p.sipAddr(), "-sf", scenario("user-call-uac.xml"), "-inf", users,
		"-s", "6702", "-auth_uri", "6702@"+p.sipAddr(), "-i", "127.0.0.66", "-p", "25171", "-mi", "127.0.0.66", "-m", "1", "-nostdin",
		"-timeout", "20s", "-timeout_error", "-trace_err", "-trace_msg", "-message_file", filepath.Join(dir, "caller_messages.log"))
	if err != nil {
		msgs, _ := os.ReadFile(filepath.Join(dir, "caller_messages.log"))
		t.Fatalf("internal call: %v\n%s\n%s\ncallee:\n%s", err, tail(out, 10), tail(string(msgs), 40), tail(answer.messages(), 20))
	}
	answer.finished(t, 5*time.Second)
	if !strings.Contains(answer.messages(), "From: <sip:6701@") {
		t.Fatalf("the callee's phone did not see the caller's extension:\n%s", tail(answer.messages(), 40))
	}

	c := p.waitCalls(1)[0]
	if c.Direction != "internal" || c.Type != "incoming" || c.SIPCode != 200 || owner(c) != callee ||
		c.From != "6701" || c.To != "6702" || c.AnsweredAt == nil || c.TrunkID != nil {
		t.Fatalf("call record: %v (want internal, answered by user %d, caller %d)", c, callee, caller)
	}
}

// TestBaresipAnswersACarrierCall: baresip registers as an agent with
// answermode=auto and plays a tone; the carrier's call (sipp, streaming
// G.711 A-law) reaches it through the flow, baresip answers by itself, and
// RTP crosses the PBX both ways.
func TestBaresipAnswersACarrierCall(t *testing.T) {
	baresip := need(t, "baresip", "baresip-core")
	if _, err := os.Stat("/usr/share/sip-tester/g711a.pcap"); err != nil {
		t.Fatal("/usr/share/sip-tester/g711a.pcap is missing (Debian package sip-tester)")
	}
	p := startPBX(t, "127.0.0.62", "", "PBX_RTP_PORTS=31400-31599")
	trunk := p.carrierTrunk("127.0.0.63")
	p.addNumber("+15550006201", trunk)
	agent := p.createAgent("6601", "baresip-pass-6601")
	p.publishFlow("+15550006201",
		[]state{{"id": "agent", "type": "transfer_user", "user_id": agent, "ring_seconds": 10}},
		[]map[string]any{conn("start", "next", "agent")})

	audio := t.TempDir()
	tone := filepath.Join(audio, "tone.wav")
	if err := os.WriteFile(tone, sineWAV(440, 15*time.Second), 0o644); err != nil {
		t.Fatal(err)
	}
	// baresip binds its RTP socket to every address, so on loopback its
	// packets leave from 127.0.0.1 whatever its interface; the PBX takes
	// media only from the address the SDP and the signalling name, so
	// baresip is all on 127.0.0.1, as on a real network a phone's packets
	// leave from its interface's address.
	out := peerkit.StartBaresip(t, baresip, peerkit.Baresip{
		Accounts:  []string{"<sip:6601@" + p.sipAddr() + ";transport=udp>;auth_pass=baresip-pass-6601;answermode=auto;audio_codecs=PCMU,PCMA;regint=120"},
		Listen:    "127.0.0.1:25160",
		Interface: "127.0.0.1",
		RTPPorts:  "31900-31999",
		Player:    filepath.Join(audio, "heard.wav"),
		Source:    tone,
	}).Out
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("baresip:\n%s", tail(out.String(), 40))
		}
	})
	waitFor(t, "baresip to register", 10*time.Second, func() bool {
		regs := p.registrations()
		return len(regs) == 1 && regs[0].Username == "6601"
	})

	dir := outDir(t)
	mustCarrierCall(t, p, dir, "carrier", "carrier-call-uac.xml", "+15550006201", "127.0.0.63", 25161)
	if !strings.Contains(out.String(), "Call established") && !strings.Contains(out.String(), "call established") {
		t.Fatalf("baresip did not report the call established:\n%s", tail(out.String(), 30))
	}

	relayed := func(direction string) int {
		n, _ := strconv.Atoi(p.metric(`pbx_rtp_packets_relayed_total{direction="` + direction + `"}`))
		return n
	}
	waitFor(t, "the relay's counters", 5*time.Second, func() bool { return relayed("caller_to_agent") > 0 })
	in, back := relayed("caller_to_agent"), relayed("agent_to_caller")
	t.Logf("RTP relayed: %d packets to baresip, %d back", in, back)
	// The call lasts 2 s: the pcap sends a packet every 30 ms (about 66),
	// baresip every 20 ms (about 100).
	if in < 50 || back < 80 {
		t.Fatalf("RTP relayed: %d packets to baresip, %d back; want about 66 and 100", in, back)
	}

	c := p.waitCalls(1)[0]
	if c.Type != "incoming" || c.SIPCode != 200 || owner(c) != agent || c.AnsweredAt == nil {
		t.Fatalf("call record: %v (want answered by user %d)", c, agent)
	}
}

// sineWAV returns a WAV file (8 kHz, mono, 16-bit PCM) of a tone.
func sineWAV(hz float64, d time.Duration) []byte {
	const rate = 8000
	samples := make([]int16, int(d.Seconds()*rate))
	for i := range samples {
		samples[i] = int16(8000 * math.Sin(2*math.Pi*hz*float64(i)/rate))
	}
	return pcmWAV(rate, samples)
}

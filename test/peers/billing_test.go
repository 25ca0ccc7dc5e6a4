package peers

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zaf/g711"

	"pbx/media"
)

// prepaid is a PBX with billing on, a user 7001 who may call out showing
// +15550003333, a carrier trunk that demands digest, and a rate for
// +4930 of 1.2 credits a minute billed by the second (0.02 a second).
type prepaid struct {
	*pbx
	dir, sipp, users string
	callerIP         string
}

func startPrepaid(t *testing.T, pbxIP, carrierIP, callerIP string, rtp string, env ...string) *prepaid {
	t.Helper()
	sipp := need(t, "sipp", "sip-tester")
	p := startPBX(t, pbxIP, "", append([]string{"PBX_BILLING_ENABLED=true", "PBX_RTP_PORTS=" + rtp}, env...)...)
	// The caller ID it shows is a number the company owns.
	if code := p.api("POST", "/api/v1/numbers", map[string]any{"e164": "+15550003333", "type": "local", "country": "US", "region": "Test"}, nil); code != 201 {
		t.Fatalf("number: %d", code)
	}
	if code := p.api("POST", "/api/v1/users", map[string]any{"name": "Caller", "extension": "7001", "sip_password": "caller-pass-1",
		"allow_outbound": true, "caller_ids": []string{"+15550003333"}}, nil); code != 201 {
		t.Fatalf("user: %d", code)
	}
	if code := p.api("POST", "/api/v1/trunks", map[string]any{"name": "Carrier", "host": carrierIP, "port": 25093,
		"username": "pbx-account", "password": "carrier-secret"}, nil); code != 201 {
		t.Fatalf("trunk: %d", code)
	}
	if code := p.api("POST", "/api/v1/rates", map[string]any{"prefix": "4930", "direction": "outbound",
		"price_per_minute": "1.2", "increment": "1/1", "connection_fee": "0"}, nil); code != 201 {
		t.Fatalf("rate: %d", code)
	}
	dir := outDir(t)
	os.Symlink("/usr/share/sip-tester", filepath.Join(dir, "pcap"))
	users := filepath.Join(dir, "caller.csv")
	os.WriteFile(users, []byte("SEQUENTIAL\n+15550003333;7001;[authentication username=7001 password=caller-pass-1]\n"), 0o644)
	return &prepaid{pbx: p, dir: dir, sipp: sipp, users: users, callerIP: callerIP}
}

// buy buys credits through a quote, as the admin app does.
func (p *prepaid) buy(credits string) {
	p.t.Helper()
	var q struct{ ID uint }
	if code := p.api("POST", "/api/v1/wallet/quotes", map[string]any{"credits": credits}, &q); code != 201 {
		p.t.Fatalf("quote: %d", code)
	}
	if code := p.api("POST", "/api/v1/wallet/purchases", map[string]any{"quote_id": q.ID}, nil); code != 201 {
		p.t.Fatalf("purchase: %d", code)
	}
}

type walletState struct {
	Balance string `json:"balance"`
}

type audit struct {
	Balance    string `json:"balance"`
	Sum        string `json:"sum"`
	Consistent bool   `json:"consistent"`
}

func (p *prepaid) balance() string {
	var w walletState
	p.api("GET", "/api/v1/wallet", nil, &w)
	return w.Balance
}

func (p *prepaid) audit() audit {
	var a audit
	p.api("GET", "/api/v1/wallet/check", nil, &a)
	return a
}

// billedCall is a call record with what it cost.
type billedCall struct {
	callRecord
	CreditsCharged string `json:"credits_charged"`
	Rate           string `json:"rate"`
}

// billedCalls waits until the history holds n records, and returns them
// newest first.
func (p *prepaid) billedCalls(n int) []billedCall {
	p.t.Helper()
	var out struct {
		Calls []billedCall
		Total int
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		p.api("GET", "/api/v1/calls?limit=500", nil, &out)
		if out.Total >= n || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if out.Total != n || len(out.Calls) != n {
		p.t.Fatalf("call history has %d records, want %d", out.Total, n)
	}
	return out.Calls
}

// TestPrepaidOutboundCall: with no credit, a user's outbound call gets 402
// and the carrier hears nothing; with 0.1 credits bought, the call
// connects and is cut when they are spent (about 5 s at 0.02 a second):
// the caller (sipp) gets the PBX's BYE, the record says "credit exhausted"
// and what it cost, and the balance is 0.
func TestPrepaidOutboundCall(t *testing.T) {
	p := startPrepaid(t, "127.0.59.1", "127.0.59.2", "127.0.59.3", "34000-34199")
	carrier := startSipp(t, p.sipp, p.dir, "-sf", scenario("carrier-auth-uas.xml"), "-i", "127.0.59.2", "-p", "25093",
		"-mi", "127.0.59.2", "-mp", "34300", "-rtp_echo", "-m", "1", "-trace_msg")

	out, _ := run(t, time.Minute, p.dir, p.sipp, p.sipAddr(), "-sf", scenario("user-call-uac.xml"), "-inf", p.users,
		"-s", "+4930123456", "-auth_uri", "+4930123456@"+p.sipAddr(), "-i", p.callerIP, "-p", "25094", "-mi", p.callerIP, "-m", "1", "-nostdin",
		"-timeout", "10s", "-trace_err", "-trace_msg")
	msgs, _ := os.ReadFile(filepath.Join(p.dir, "user-call-uac_"+sippPID(p.dir)+"_messages.log"))
	if !strings.Contains(string(msgs), "SIP/2.0 402 Insufficient Credit") {
		t.Fatalf("a call with no credit was not refused with 402:\n%s\n%s", tail(out, 20), tail(string(msgs), 30))
	}
	if strings.Contains(carrier.String(), "INVITE") {
		t.Fatal("the carrier heard of a call with no credit")
	}

	p.buy("0.1")
	// The caller's media is a socket of the test's: it hears what the PBX
	// plays to the user.
	ear := listenRTP(t, p.callerIP, 34260)
	began := time.Now()
	out, err := run(t, time.Minute, p.dir, p.sipp, p.sipAddr(), "-sf", scenario("user-listen-uac.xml"), "-inf", p.users,
		"-s", "+4930123456", "-auth_uri", "+4930123456@"+p.sipAddr(), "-i", p.callerIP, "-p", "25095", "-mi", p.callerIP, "-m", "1", "-nostdin",
		"-key", "rtp_port", "34260", "-timeout", "40s", "-trace_err")
	took := time.Since(began)
	if err != nil {
		t.Fatalf("the call was not ended by the PBX: %v\n%s", err, tail(out, 30))
	}
	// The credit lasts 5 s, less than a minute: the user heard the low
	// credit warning (two 440 Hz beeps) as the call began.
	ear.close()
	var warning []int16
	for _, h := range ear.packets() {
		if h.pkt.PayloadType == 8 {
			for _, b := range h.pkt.Payload {
				warning = append(warning, g711.DecodeAlawFrame(b))
			}
		}
	}
	if len(warning) < media.Rate/2 || toneShare(warning, 440) < 0.5 {
		t.Errorf("the user heard %d samples, %.2f of them at 440 Hz: no low credit warning", len(warning), toneShare(warning, 440))
	}
	calls := p.billedCalls(2)
	cut, refused := calls[0], calls[1]
	if refused.SIPCode != 402 || refused.HangupCause != "insufficient credit" || refused.CreditsCharged != "0" {
		t.Errorf("refused call: %v charged %s", refused.callRecord, refused.CreditsCharged)
	}
	if cut.HangupCause != "credit exhausted" || cut.SIPCode != 200 || cut.CreditsCharged != "0.1" || cut.Rate != "1.2/min 1/1" ||
		cut.Duration < 4 || cut.Duration > 6 {
		t.Errorf("cut call: %v charged %s at %q", cut.callRecord, cut.CreditsCharged, cut.Rate)
	}
	if b, a := p.balance(), p.audit(); b != "0" || !a.Consistent {
		t.Errorf("balance %s, audit %+v", b, a)
	}
	t.Logf("cut after %s; record %v charged %s", took.Round(100*time.Millisecond), cut.callRecord, cut.CreditsCharged)
}

// TestConcurrentCallsShareTheWallet: 100 calls at once (sipp) spend one
// wallet of 3 credits at 0.02 a second each. They are all cut when it is
// spent; the balance is what was bought less exactly the sum of what the
// records say the calls cost, and never below zero.
func TestConcurrentCallsShareTheWallet(t *testing.T) {
	const calls = 100
	p := startPrepaid(t, "127.0.60.1", "127.0.60.2", "127.0.60.3", "34400-35399",
		"PBX_SIP_CALLS_PER_USER=200", "PBX_SIP_CALLS_PER_SOURCE=200")
	startSipp(t, p.sipp, p.dir, "-sf", scenario("carrier-auth-uas.xml"), "-i", "127.0.60.2", "-p", "25093",
		"-mi", "127.0.60.2", "-mp", "35500", "-rtp_echo", "-m", fmt.Sprint(calls))
	p.buy("3")
	out, err := run(t, 2*time.Minute, p.dir, p.sipp, p.sipAddr(), "-sf", scenario("user-cutoff-uac.xml"), "-inf", p.users,
		"-s", "+4930123456", "-auth_uri", "+4930123456@"+p.sipAddr(), "-i", p.callerIP, "-p", "25096", "-mi", p.callerIP, "-m", fmt.Sprint(calls),
		"-r", "100", "-l", fmt.Sprint(calls), "-nostdin", "-timeout", "60s", "-trace_err", "-trace_stat", "-stf", "cut.stats")
	succ, fail := sippCounts(t, filepath.Join(p.dir, "cut.stats"))
	if err != nil || succ+fail != calls {
		t.Logf("sipp: %v\n%s", err, tail(out, 20))
	}
	records := p.billedCalls(calls)
	var sum int64
	cut := 0
	hist := map[string]int{}
	for _, c := range records {
		hist[fmt.Sprintf("%s/%ds", c.CreditsCharged, c.Duration)]++
		sum += micro(t, c.CreditsCharged)
		if c.HangupCause == "credit exhausted" {
			cut++
		}
	}
	t.Logf("charged/duration: %v", hist)
	a := p.audit()
	bal := micro(t, a.Balance)
	t.Logf("%d calls (sipp: %d successful, %d failed: refused with 402 once the credit was spent); %d cut for credit; charged %d micro-credits; balance %s",
		calls, succ, fail, cut, sum, a.Balance)
	if !a.Consistent || bal < 0 || bal+sum != 3_000_000 {
		t.Fatalf("bought 3 credits; the records charged %d micro-credits and the balance is %s (audit %+v)", sum, a.Balance, a)
	}
	if bal >= 20_000 || cut < calls/2 {
		t.Fatalf("balance %s left, %d of %d calls cut: the credit was not spent", a.Balance, cut, calls)
	}
}

// micro reads a decimal string of credits as micro-credits.
func micro(t *testing.T, s string) int64 {
	t.Helper()
	whole, frac, _ := strings.Cut(s, ".")
	neg := strings.HasPrefix(whole, "-")
	whole = strings.TrimPrefix(whole, "-")
	frac += strings.Repeat("0", 6-len(frac))
	v, err := strconv.ParseInt(whole+frac, 10, 64) // decimal, whatever leading zeros
	if err != nil {
		t.Fatalf("amount %q: %v", s, err)
	}
	if neg {
		v = -v
	}
	return v
}

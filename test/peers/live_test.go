package peers

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// liveEvent is one server-sent event of GET /api/v1/live.
type liveEvent struct{ name, data string }

// openLive follows the live view until the test ends.
func openLive(t *testing.T, p *pbx) <-chan liveEvent {
	t.Helper()
	req, _ := http.NewRequest("GET", p.http+"/api/v1/live", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("live view: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	t.Cleanup(func() { res.Body.Close() })
	events := make(chan liveEvent, 1000)
	go func() {
		defer close(events)
		sc := bufio.NewScanner(res.Body)
		var ev liveEvent
		for sc.Scan() {
			switch line := sc.Text(); {
			case line == "":
				if ev.name != "" {
					events <- ev
				}
				ev = liveEvent{}
			case strings.HasPrefix(line, "event: "):
				ev.name = line[len("event: "):]
			case strings.HasPrefix(line, "data: "):
				ev.data = line[len("data: "):]
			}
		}
	}()
	return events
}

// awaitLive reads events until one satisfies want, and returns it.
func awaitLive(t *testing.T, events <-chan liveEvent, what string, want func(liveEvent) bool) liveEvent {
	t.Helper()
	timeout := time.After(20 * time.Second)
	var seen []string
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatalf("live view ended waiting for %s; saw %v", what, seen)
			}
			seen = append(seen, ev.name+" "+ev.data)
			if want(ev) {
				return ev
			}
		case <-timeout:
			t.Fatalf("no %s in the live view after 20 s; saw %v", what, seen)
		}
	}
}

// TestLiveViewFollowsACarrierCall: the live view shows an agent's phone
// come online, a carrier's call (sipp) reach the agent in the flow's
// transfer state, the agent on the call, and the call end, each pushed as
// it happens; and a server stopping with a live view open stops at once.
func TestLiveViewFollowsACarrierCall(t *testing.T) {
	sipp := need(t, "sipp", "sip-tester")
	p := startPBX(t, "127.0.0.75", "", "PBX_RTP_PORTS=33000-33199")
	trunk := p.carrierTrunk("127.0.0.76")
	p.addNumber("+15550007777", trunk)
	agent := p.createAgent("6071", "agent-pass-71")
	p.publishFlow("+15550007777", []state{{"id": "agent", "type": "transfer_user", "user_id": agent, "ring_seconds": 15}},
		[]map[string]any{conn("start", "next", "agent")})

	events := openLive(t, p)
	awaitLive(t, events, "the snapshot", func(ev liveEvent) bool {
		return ev.name == "snapshot" && ev.data == `{"calls":[],"queues":[],"online":[]}`
	})

	registerPhone(t, p, "6071", "agent-pass-71", "127.0.0.77", 25171)
	awaitLive(t, events, "the agent online", func(ev liveEvent) bool {
		return ev.name == "online" && strings.Contains(ev.data, `"username":"6071"`) && strings.Contains(ev.data, `"on_call":false`)
	})

	dir := outDir(t)
	startSipp(t, sipp, dir, "-sn", "uas", "-i", "127.0.0.77", "-p", "25171", "-mi", "127.0.0.77", "-mp", "33500", "-rtp_echo", "-m", "1")
	os.Symlink("/usr/share/sip-tester", filepath.Join(dir, "pcap"))
	carrier := make(chan error, 1)
	go func() {
		out, err := run(t, time.Minute, dir, sipp, p.sipAddr(), "-sn", "uac_pcap", "-s", "+15550007777",
			"-i", "127.0.0.76", "-p", "25172", "-mi", "127.0.0.76", "-m", "1", "-nostdin", "-timeout", "40s")
		if err != nil {
			err = &callError{err, tail(out, 20)}
		}
		carrier <- err
	}()

	ev := awaitLive(t, events, "the call connected", func(ev liveEvent) bool {
		return ev.name == "call" && strings.Contains(ev.data, `"status":"connected"`)
	})
	var call struct {
		ID        uint64 `json:"id"`
		From      string `json:"from"`
		To        string `json:"to"`
		UserID    uint   `json:"user_id"`
		FlowName  string `json:"flow_name"`
		State     string `json:"state"`
		StateType string `json:"state_type"`
		Since     time.Time
	}
	if err := json.Unmarshal([]byte(ev.data), &call); err != nil {
		t.Fatal(err)
	}
	if call.To != "+15550007777" || call.UserID != agent || call.FlowName != "Flow +15550007777" || call.State != "agent" || call.StateType != "transfer_user" {
		t.Fatalf("connected call %s", ev.data)
	}
	awaitLive(t, events, "the agent on the call", func(ev liveEvent) bool {
		return ev.name == "online" && strings.Contains(ev.data, `"username":"6071"`) && strings.Contains(ev.data, `"on_call":true`)
	})
	awaitLive(t, events, "the call's end", func(ev liveEvent) bool {
		return ev.name == "call_ended" && ev.data == `{"id":`+jsonUint(call.ID)+`}`
	})
	awaitLive(t, events, "the agent free again", func(ev liveEvent) bool {
		return ev.name == "online" && strings.Contains(ev.data, `"on_call":false`)
	})
	if err := <-carrier; err != nil {
		t.Fatalf("carrier call: %v", err)
	}

	took, err := p.stop()
	if err != nil || took > 3*time.Second {
		t.Fatalf("stopping with a live view open took %v (%v)", took, err)
	}
	for range events { // the stream ends with the server
	}
}

type callError struct {
	err error
	out string
}

func (e *callError) Error() string { return e.err.Error() + "\n" + e.out }

func jsonUint(n uint64) string { b, _ := json.Marshal(n); return string(b) }

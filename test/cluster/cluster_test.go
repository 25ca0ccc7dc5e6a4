// Package cluster drives a whole cluster that test/cluster/run.sh started
// with deploy/cluster.sh (PostgreSQL, two pbx nodes, Kamailio in front, on
// 127.0.15.x) with real peers: baresip and sipp phones registering through
// Kamailio, sipp carriers calling through it. It names the cluster in
// PBX_CLUSTER_DIR.
package cluster

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"pbx/test/peerkit"
)

const (
	carrierIP = "127.0.15.30"
	agentIP   = "127.0.15.21"
	agentPort = 25180
	// baresip sends RTP from every address's socket, so on loopback its
	// packets leave from 127.0.0.1 whatever it listens on; the PBX takes
	// media only from the address the SDP names, so baresip is all on
	// 127.0.0.1 (on ports no other test uses).
	baresipSIP   = "127.0.0.1:25915"
	baresipRTP   = "32950-32999"
	numberAgent  = "+15550150001" // rings baresip
	numberBusy   = "+15550150002" // rings the sipp agent; busy: 486
	numberPaid   = "+15550150003" // rings baresip; the only number whose calls cost (testdata/rates.csv)
	baresipExt   = "6701"
	baresipPass  = "baresip-pass-6701"
	sippAgentExt = "6702"
	sippPass     = "sipp-agent-pass-6702"
)

// env is the cluster as deploy/cluster.sh wrote it down.
type env struct {
	dir      string
	balancer string
	nodes    map[string]string // name -> IP
	db       string
	token    string
}

func readEnv(t *testing.T) env {
	t.Helper()
	dir := os.Getenv("PBX_CLUSTER_DIR")
	if dir == "" {
		t.Fatal("PBX_CLUSTER_DIR is not set: run test/cluster/run.sh, which starts the cluster for this test")
	}
	f, err := os.Open(filepath.Join(dir, "env"))
	if err != nil {
		t.Fatalf("the cluster is not up: %v", err)
	}
	defer f.Close()
	e := env{dir: dir, nodes: map[string]string{}}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), "=")
		v = strings.Trim(v, `"`)
		switch k {
		case "PBX_CLUSTER_BALANCER":
			e.balancer = v
		case "PBX_CLUSTER_NODES":
			for _, kv := range strings.Fields(v) {
				name, ip, _ := strings.Cut(kv, "=")
				e.nodes[name] = ip
			}
		case "PBX_CLUSTER_DB":
			e.db = v
		case "PBX_ADMIN_TOKEN":
			e.token = v
		}
	}
	if e.balancer == "" || len(e.nodes) != 2 || e.db == "" || e.token == "" {
		t.Fatalf("incomplete cluster env in %s: %+v", dir, e)
	}
	return e
}

func need(t *testing.T, tool, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(tool)
	if err != nil {
		t.Fatalf("%s is not installed (Debian package %s); the test command installs it", tool, pkg)
	}
	return p
}

// api calls node's REST API with the admin token.
func (e env) api(t *testing.T, node, method, path string, body, out any) int {
	t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, _ := http.NewRequest(method, "http://"+e.nodes[node]+":8080"+path, rd)
	req.Header.Set("Authorization", "Bearer "+e.token)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s on node %s: %v", method, path, node, err)
	}
	defer res.Body.Close()
	if out != nil {
		json.NewDecoder(res.Body).Decode(out)
	}
	return res.StatusCode
}

type callRecord struct {
	ID          uint       `json:"id"`
	CallID      string     `json:"call_id"`
	Number      string     `json:"number"`
	OwnerUserID *uint      `json:"owner_user_id"`
	SIPCode     int        `json:"sip_code"`
	HangupCause string     `json:"hangup_cause"`
	AnsweredAt  *time.Time `json:"answered_at"`
	Node        string     `json:"node"`
}

func (c callRecord) String() string {
	return fmt.Sprintf("{%s number=%s node=%s code=%d cause=%q answered=%v}", c.CallID, c.Number, c.Node, c.SIPCode, c.HangupCause, c.AnsweredAt != nil)
}

// calls returns the history as node serves it.
func (e env) calls(t *testing.T, node string) []callRecord {
	t.Helper()
	var out struct {
		Calls []callRecord `json:"calls"`
	}
	if code := e.api(t, node, "GET", "/api/v1/calls?limit=100", nil, &out); code != 200 {
		t.Fatalf("calls on node %s: %d", node, code)
	}
	return out.Calls
}

type registration struct {
	Username string `json:"username"`
	Path     string `json:"path"`
	Node     string `json:"node"`
}

func (e env) registrations(t *testing.T, node string) []registration {
	t.Helper()
	var out struct {
		Registrations []registration `json:"registrations"`
	}
	if code := e.api(t, node, "GET", "/api/v1/registrations", nil, &out); code != 200 {
		t.Fatalf("registrations on node %s: %d", node, code)
	}
	return out.Registrations
}

func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// sipp runs sipp in the background and returns its output and its end.
func sipp(t *testing.T, name string, args ...string) (*peerkit.Buffer, <-chan error) {
	t.Helper()
	bin := need(t, "sipp", "sip-tester")
	dir := outDir(t)
	os.Symlink("/usr/share/sip-tester", filepath.Join(dir, "pcap"))
	args = append(args, "-error_file", filepath.Join(dir, name+"_errors.log"),
		"-trace_msg", "-message_file", filepath.Join(dir, name+"_messages.log"))
	p := peerkit.StartSipp(t, bin, dir, args...)
	return p.Out, p.Done()
}

func outDir(t *testing.T) string {
	dir, _ := filepath.Abs(filepath.Join("..", "out", "cluster", strings.ReplaceAll(t.Name(), "/", "_")))
	os.MkdirAll(dir, 0o755)
	return dir
}

func scenario(name string) string {
	s, _ := filepath.Abs(filepath.Join("testdata", name))
	return s
}

// carrierCall makes one carrier call through the balancer to number with
// scenario file, lasting talk once answered, from port, and waits for it.
func (e env) carrierCall(t *testing.T, name, file, number string, port int, talk time.Duration) (string, error) {
	t.Helper()
	out, done := sipp(t, name, e.balancer, "-sf", scenario(file), "-s", number, "-i", carrierIP, "-p", strconv.Itoa(port),
		"-mi", carrierIP, "-m", "1", "-d", strconv.Itoa(int(talk/time.Millisecond)), "-key", "caller", "+15557770000",
		"-timeout", "40s", "-timeout_error")
	select {
	case err := <-done:
		return out.String(), err
	case <-time.After(45 * time.Second):
		return out.String(), fmt.Errorf("%s did not end", name)
	}
}

func (e env) mustCall(t *testing.T, name, file, number string, port int, talk time.Duration) {
	t.Helper()
	if out, err := e.carrierCall(t, name, file, number, port, talk); err != nil {
		b, _ := os.ReadFile(filepath.Join(outDir(t), name+"_messages.log"))
		t.Fatalf("%s: %v\n%s\nmessages:\n%s", name, err, tail(out, 10), tail(string(b), 40))
	}
}

// conn connects to the cluster's database for one query, closed with the
// test; the context bounds the query to 5 s.
func (e env) conn(t *testing.T) (context.Context, *pgx.Conn) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	conn, err := pgx.Connect(ctx, e.db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return ctx, conn
}

// nodeOfCallInProgress reads, from the database, the node running the
// only call in progress.
func (e env) nodeOfCallInProgress(t *testing.T) string {
	t.Helper()
	ctx, conn := e.conn(t)
	var nodes []string
	rows, err := conn.Query(ctx, "SELECT node FROM call_records WHERE in_progress")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		rows.Scan(&n)
		nodes = append(nodes, n)
	}
	if rows.Err() != nil || len(nodes) != 1 {
		t.Fatalf("calls in progress on nodes %v (%v), want one", nodes, rows.Err())
	}
	return nodes[0]
}

func (e env) other(node string) string {
	for n := range e.nodes {
		if n != node {
			return n
		}
	}
	return ""
}

// kill sends SIGKILL to node's process.
func (e env) kill(t *testing.T, node string) { e.signal(t, node, syscall.SIGKILL, 5*time.Second) }

// signal sends sig to node's process and waits up to wait for it to end.
func (e env) signal(t *testing.T, node string, sig syscall.Signal, wait time.Duration) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(e.dir, "node-"+node+".pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	if err := syscall.Kill(pid, sig); err != nil {
		t.Fatalf("signal %v to node %s (pid %d): %v", sig, node, pid, err)
	}
	for deadline := time.Now().Add(wait); time.Now().Before(deadline); {
		if syscall.Kill(pid, 0) != nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("node %s (pid %d) still runs %v after %v", node, pid, wait, sig)
}

// reserved reads what node publishes as reserved by its calls.
func (e env) reserved(t *testing.T, node string) int64 {
	t.Helper()
	ctx, conn := e.conn(t)
	var r int64
	if err := conn.QueryRow(ctx, "SELECT reserved FROM cluster_nodes WHERE name = $1", node).Scan(&r); err != nil {
		t.Fatalf("reservation of node %s: %v", node, err)
	}
	return r
}

// startBaresip runs baresip registering ext through the balancer,
// answering every call by itself with a tone.
func startBaresip(t *testing.T, e env) *peerkit.Buffer {
	t.Helper()
	bin := need(t, "baresip", "baresip-core")
	audio := t.TempDir()
	tone := filepath.Join(audio, "tone.wav")
	if err := os.WriteFile(tone, sineWAV(440, 30*time.Second), 0o644); err != nil {
		t.Fatal(err)
	}
	out := peerkit.StartBaresip(t, bin, peerkit.Baresip{
		Accounts: []string{"<sip:" + baresipExt + "@" + e.balancer + ";transport=udp>;auth_pass=" + baresipPass +
			";answermode=auto;audio_codecs=PCMU,PCMA;regint=300"},
		Listen:    baresipSIP,
		Interface: "127.0.0.1",
		RTPPorts:  baresipRTP,
		Player:    filepath.Join(audio, "heard.wav"),
		Source:    tone,
	}).Out
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("baresip:\n%s", tail(out.String(), 40))
		}
	})
	return out
}

// sineWAV returns a WAV file (8 kHz, mono, 16-bit PCM) of a tone.
func sineWAV(hz float64, d time.Duration) []byte {
	n := int(d.Seconds() * 8000)
	var b bytes.Buffer
	le := func(v any) { _ = writeLE(&b, v) }
	b.WriteString("RIFF")
	le(uint32(36 + 2*n))
	b.WriteString("WAVEfmt ")
	le(uint32(16))
	le(uint16(1))
	le(uint16(1))
	le(uint32(8000))
	le(uint32(16000))
	le(uint16(2))
	le(uint16(16))
	b.WriteString("data")
	le(uint32(2 * n))
	for i := range n {
		le(int16(8000 * math.Sin(2*math.Pi*hz*float64(i)/8000)))
	}
	return b.Bytes()
}

func writeLE(b *bytes.Buffer, v any) error {
	switch x := v.(type) {
	case uint32:
		b.Write([]byte{byte(x), byte(x >> 8), byte(x >> 16), byte(x >> 24)})
	case uint16:
		b.Write([]byte{byte(x), byte(x >> 8)})
	case int16:
		b.Write([]byte{byte(x), byte(x >> 8)})
	}
	return nil
}

// TestCluster runs the cluster's story in order: phones register through
// Kamailio, carrier calls reach them whichever node takes the call, an
// agent busy on one node is busy for the other, an admin session holds on
// either node, a node is killed and the next calls still connect, its call
// is closed by the other, and the history holds every call once.
func TestCluster(t *testing.T) {
	e := readEnv(t)
	if _, err := os.Stat("/usr/share/sip-tester/g711a.pcap"); err != nil {
		t.Fatal("/usr/share/sip-tester/g711a.pcap is missing (Debian package sip-tester)")
	}
	sipsak := need(t, "sipsak", "sipsak")

	// The directory, written on node a, is the same on b.
	var trunk struct{ ID uint }
	if code := e.api(t, "a", "POST", "/api/v1/trunks", map[string]any{"name": "Carrier", "host": carrierIP,
		"inbound_cidrs": []string{carrierIP}}, &trunk); code != 201 {
		t.Fatalf("trunk: %d", code)
	}
	users := map[string]uint{}
	for ext, pass := range map[string]string{baresipExt: baresipPass, sippAgentExt: sippPass} {
		var u struct{ ID uint }
		if code := e.api(t, "b", "POST", "/api/v1/users", map[string]any{"name": "Agent " + ext, "extension": ext, "sip_password": pass}, &u); code != 201 {
			t.Fatalf("user %s: %d", ext, code)
		}
		users[ext] = u.ID
	}
	for number, ext := range map[string]string{numberAgent: baresipExt, numberBusy: sippAgentExt, numberPaid: baresipExt} {
		if code := e.api(t, "a", "POST", "/api/v1/numbers", map[string]any{"e164": number, "type": "toll_free", "country": "US", "trunk_id": trunk.ID}, nil); code != 201 {
			t.Fatalf("number %s: %d", number, code)
		}
		doc := map[string]any{"name": "Flow " + number, "numbers": []string{number}, "states": []map[string]any{
			{"id": "start", "type": "start"},
			{"id": "agent", "type": "transfer_user", "user_id": users[ext], "ring_seconds": 15}},
			"connections": []map[string]any{{"from": "start", "outcome": "next", "to": "agent"}}}
		var flow struct{ ID uint }
		if code := e.api(t, "b", "POST", "/api/v1/flows", doc, &flow); code != 201 {
			t.Fatalf("flow: %d", code)
		}
		if code := e.api(t, "a", "POST", fmt.Sprintf("/api/v1/flows/%d/publish", flow.ID), nil, nil); code != 200 {
			t.Fatalf("publish: %d", code)
		}
	}
	made := 0 // calls the carrier made, each to be in the history once

	// Phones register through Kamailio; every node sees them.
	bare := startBaresip(t, e)
	addr := fmt.Sprintf("%s:%d", agentIP, agentPort)
	if out, err := exec.Command(sipsak, "-U", "-s", "sip:"+sippAgentExt+"@"+e.balancer, "-C", "sip:"+sippAgentExt+"@"+addr,
		"-u", sippAgentExt, "-a", sippPass, "-x", "300", "-l", strconv.Itoa(agentPort), "--local-ip", agentIP, "--symmetric").CombinedOutput(); err != nil {
		t.Fatalf("sipsak register through Kamailio: %v\n%s", err, out)
	}
	for node := range e.nodes {
		waitFor(t, "node "+node+" to see both phones", 10*time.Second, func() bool {
			regs := e.registrations(t, node)
			return len(regs) == 2 && regs[0].Path != "" && regs[1].Path != "" && regs[0].Node != ""
		})
	}
	t.Logf("registrations: %+v", e.registrations(t, "a"))

	t.Run("a carrier call reaches baresip whichever node takes it", func(t *testing.T) {
		for i := range 4 {
			e.mustCall(t, fmt.Sprintf("carrier-%d", i), "carrier-call-uac.xml", numberAgent, 25170+i, time.Second)
			made++
		}
		if n := strings.Count(strings.ToLower(bare.String()), "call established"); n < 4 {
			t.Fatalf("baresip established %d calls, want 4:\n%s", n, tail(bare.String(), 30))
		}
		took := map[string]int{}
		for _, c := range e.calls(t, "a") {
			if c.Number == numberAgent && c.SIPCode == 200 && c.OwnerUserID != nil && *c.OwnerUserID == users[baresipExt] {
				took[c.Node]++
			}
		}
		if took["a"] == 0 || took["b"] == 0 || took["a"]+took["b"] != 4 {
			t.Fatalf("answered calls by node: %v; want 4 spread over a and b", took)
		}
	})

	t.Run("an admin session started on one node holds on the other", func(t *testing.T) {
		res, err := http.Post("http://"+e.nodes["a"]+":8080/api/v1/session", "application/json",
			strings.NewReader(`{"password":"`+e.token+`"}`))
		if err != nil || res.StatusCode != 201 {
			t.Fatalf("sign in on a: %v %v", res, err)
		}
		res.Body.Close()
		req, _ := http.NewRequest("GET", "http://"+e.nodes["b"]+":8080/api/v1/session", nil)
		for _, c := range res.Cookies() {
			req.AddCookie(c)
		}
		res, err = http.DefaultClient.Do(req)
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("the session on b: %v %v", res, err)
		}
		var s struct{ Auth string }
		json.NewDecoder(res.Body).Decode(&s)
		res.Body.Close()
		if s.Auth != "session" {
			t.Fatalf("b took the cookie for %q", s.Auth)
		}
	})

	t.Run("with credit for one call, a call on each node at once: one connects, the other is refused", func(t *testing.T) {
		// A call to numberPaid costs 1 credit a minute, paid a minute at a
		// time: 1.5 credits pay one first minute, not two.
		var q struct{ ID uint }
		if code := e.api(t, "a", "POST", "/api/v1/wallet/quotes", map[string]any{"credits": "1.5"}, &q); code != 201 {
			t.Fatalf("quote: %d", code)
		}
		if code := e.api(t, "b", "POST", "/api/v1/wallet/purchases", map[string]any{"quote_id": q.ID}, nil); code != 201 {
			t.Fatalf("purchase: %d", code)
		}
		var wg sync.WaitGroup
		for i := range 2 {
			name := fmt.Sprintf("paid-%d", i)
			wg.Go(func() {
				// The refused call is answered, told why and hung up by the
				// PBX: sipp, which means to hang up itself, calls that an error.
				if out, err := e.carrierCall(t, name, "carrier-call-uac.xml", numberPaid, 25181+i, 2*time.Second); err != nil {
					t.Logf("%s: %v\n%s", name, err, tail(out, 5))
				}
			})
		}
		wg.Wait()
		made += 2
		var paid []callRecord
		waitFor(t, "both calls to the paid number in the history", 10*time.Second, func() bool {
			paid = paid[:0]
			for _, c := range e.calls(t, "a") {
				if c.Number == numberPaid && c.HangupCause != "" {
					paid = append(paid, c)
				}
			}
			return len(paid) == 2
		})
		if paid[0].Node == paid[1].Node {
			t.Fatalf("Kamailio sent both calls to node %s: the test proves nothing across nodes", paid[0].Node)
		}
		connected, refused := 0, 0
		for _, c := range paid {
			switch {
			case c.HangupCause == "insufficient credit":
				refused++
			case c.AnsweredAt != nil && c.OwnerUserID != nil && *c.OwnerUserID == users[baresipExt]:
				connected++
			}
		}
		if connected != 1 || refused != 1 {
			t.Fatalf("calls on two nodes with credit for one: %v; want one connected and one refused for credit", paid)
		}
		var w struct{ Balance string }
		if e.api(t, "b", "GET", "/api/v1/wallet", nil, &w); w.Balance != "0.5" {
			t.Fatalf("balance %s after the call that connected, want 0.5", w.Balance)
		}
	})

	var busyNode string
	t.Run("an agent on a call on one node is busy for the other", func(t *testing.T) {
		_, agentDone := sipp(t, "agent", "-sf", scenario("agent-answer-uas.xml"), "-i", agentIP, "-p", strconv.Itoa(agentPort),
			"-mi", agentIP, "-m", "1", "-rtp_echo")
		time.Sleep(300 * time.Millisecond)
		long := make(chan error, 1)
		go func() {
			_, err := e.carrierCall(t, "long", "carrier-call-uac.xml", numberBusy, 25175, 10*time.Minute)
			long <- err
		}()
		made++
		waitFor(t, "the agent to answer the first call", 15*time.Second, func() bool {
			b, _ := os.ReadFile(filepath.Join(outDir(t), "agent_messages.log"))
			return strings.Contains(string(b), "ACK sip:")
		})
		busyNode = e.nodeOfCallInProgress(t)
		e.mustCall(t, "busy", "carrier-busy-uac.xml", numberBusy, 25176, 0)
		made++
		var second callRecord
		waitFor(t, "the busy call in the history", 5*time.Second, func() bool {
			for _, c := range e.calls(t, "a") {
				if c.Number == numberBusy && c.SIPCode == 486 {
					second = c
					return true
				}
			}
			return false
		})
		if second.Node == busyNode {
			t.Fatalf("Kamailio sent both calls to node %s: the test proves nothing across nodes", busyNode)
		}
		select {
		case err := <-agentDone:
			t.Fatalf("the agent's phone ended (%v): it was rung for the second call", err)
		default:
		}
		t.Logf("agent busy on node %s was busy for node %s", busyNode, second.Node)
	})

	t.Run("a node killed: its call is closed by the other, the next calls connect", func(t *testing.T) {
		if busyNode == "" {
			t.Fatal("no call in progress to lose")
		}
		survivor := e.other(busyNode)
		e.kill(t, busyNode)
		t.Logf("node %s killed with SIGKILL", busyNode)
		// Nobody's registration is lost.
		if regs := e.registrations(t, survivor); len(regs) != 2 {
			t.Fatalf("node %s lists %d registrations after %s died, want 2", survivor, len(regs), busyNode)
		}
		for i := range 3 {
			e.mustCall(t, fmt.Sprintf("after-%d", i), "carrier-call-uac.xml", numberAgent, 25177+i, time.Second)
			made++
		}
		var lost callRecord
		waitFor(t, "the dead node's call closed", 60*time.Second, func() bool {
			for _, c := range e.calls(t, survivor) {
				if c.Number == numberBusy && c.SIPCode == 200 {
					lost = c
					return true
				}
			}
			return false
		})
		if lost.HangupCause != "node lost" || lost.Node != busyNode {
			t.Fatalf("the lost call: %v; want closed as \"node lost\" on node %s", lost, busyNode)
		}
		// The newest three are the calls after the kill: on the survivor, answered.
		for _, c := range e.calls(t, survivor)[:3] {
			if c.Number != numberAgent || c.Node != survivor || c.AnsweredAt == nil {
				t.Fatalf("a call after the kill: %v; want answered on node %s", c, survivor)
			}
		}
	})

	t.Run("the history shows every call once", func(t *testing.T) {
		survivor := e.other(busyNode)
		calls := e.calls(t, survivor)
		seen := map[string]int{}
		for _, c := range calls {
			seen[c.CallID]++
		}
		for id, n := range seen {
			if n != 1 {
				t.Errorf("call %s is in the history %d times", id, n)
			}
		}
		if len(calls) != made {
			t.Fatalf("the history has %d calls, the carrier made %d: %v", len(calls), made, calls)
		}
	})

	// Last: it stops the surviving node.
	t.Run("a node stopped cleanly in a paid call leaves no reservation counted against the wallet", func(t *testing.T) {
		survivor := e.other(busyNode)
		var q struct{ ID uint }
		if code := e.api(t, survivor, "POST", "/api/v1/wallet/quotes", map[string]any{"credits": "10"}, &q); code != 201 {
			t.Fatalf("quote: %d", code)
		}
		if code := e.api(t, survivor, "POST", "/api/v1/wallet/purchases", map[string]any{"quote_id": q.ID}, nil); code != 201 {
			t.Fatalf("purchase: %d", code)
		}
		go e.carrierCall(t, "paid-long", "carrier-call-uac.xml", numberPaid, 25183, 30*time.Second) // ended by the stop
		waitFor(t, "the paid call's reservation published", 15*time.Second, func() bool { return e.reserved(t, survivor) > 0 })
		e.signal(t, survivor, syscall.SIGTERM, 20*time.Second)
		if r := e.reserved(t, survivor); r != 0 {
			t.Fatalf("node %s stopped with %d micro-credits still reserved: the other nodes count them until it is taken for dead", survivor, r)
		}
	})
}

package peers

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// floodConns is how many TCP connections the flood opens: what exhausted
// a server with the usual limit of 20,000 open files.
const floodConns = 20000

// floodSources is how many loopback addresses the flood comes from.
const floodSources = 8

// TestTCPFloodLeavesSIPServing opens 20,000 TCP connections to the SIP port
// from 8 addresses, half of them sending half an OPTIONS and the rest
// nothing, and holds them. UDP and TCP SIP must keep answering (sipsak
// OPTIONS over UDP, a sipsak REGISTER over TCP), /healthz must stay 200, and
// the server must close every flood connection once the message timeout has
// passed. The server runs with the open file limit that 20,000 connections
// exhausted (20,000), its soft limit starting at 1,024.
func TestTCPFloodLeavesSIPServing(t *testing.T) {
	sipsak := need(t, "sipsak", "sipsak")
	prlimit := need(t, "prlimit", "util-linux")
	for _, tc := range []struct {
		name string
		ip   string
		// timeout is the server's sip.tcp.message_timeout.
		timeout time.Duration
		env     []string
		// held checks the flood connections the server holds.
		held func(t *testing.T, p *pbx, open int)
	}{{
		// 8 x 100 connections at most, far under the descriptor limit.
		name: "per-source limit", ip: "127.0.0.200", timeout: 3 * time.Second,
		held: func(t *testing.T, p *pbx, open int) {
			if open > floodSources*100 {
				t.Errorf("%d connections open, want at most %d (100 per source)", open, floodSources*100)
			}
			if n := p.metricInt(`pbx_sip_tcp_refused_total{reason="per_source"}`); n < floodConns/2 {
				t.Errorf("%d connections refused for their source, want most of %d", n, floodConns)
			}
		},
	}, {
		// Unlimited per source: the cap under 20,000 files binds, and the
		// oldest silent connections make room for the newest. The flood
		// takes a few seconds; the timeout is longer, so the cap is reached.
		name: "global cap", ip: "127.0.0.210", timeout: 10 * time.Second, env: []string{"PBX_SIP_TCP_MAX_PER_SOURCE=0"},
		held: func(t *testing.T, p *pbx, open int) {
			// 20,000 files less 100 RTP ports and 1,024 in reserve.
			if limit := floodFiles - 100 - 1024; open > limit {
				t.Errorf("%d connections open, over the cap of %d", open, limit)
			}
			if n := p.metricInt(`pbx_sip_tcp_closed_total{reason="evicted"}`); n <= 0 {
				t.Errorf("no connection evicted at the cap")
			}
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			p := startPBXUnder(t, []string{prlimit, fmt.Sprintf("--nofile=1024:%d", floodFiles), "--"}, tc.ip, "",
				append([]string{"PBX_RTP_PORTS=26000-26099", "PBX_SIP_TCP_MESSAGE_TIMEOUT=" + tc.timeout.String()}, tc.env...)...)
			if want := fmt.Sprintf("soft=%d hard=%d", floodFiles, floodFiles); !strings.Contains(p.log.String(), want) {
				t.Errorf("the server did not raise its open file limit (want %q in the log)", want)
			}
			p.createUser("3001", "flood-pass")
			base := net.ParseIP(tc.ip).To4()
			addr := func(i int) string { return fmt.Sprintf("127.0.0.%d", int(base[3])+i) }

			// The flood comes from helper processes: 20,000 connections
			// are more than one process may open here.
			start := time.Now()
			var flooders []*flooder
			for s := 1; s <= floodSources; s++ {
				flooders = append(flooders, startFlooder(t, p.sipAddr(), addr(s), floodConns/floodSources))
			}
			opened, failed := 0, 0
			for _, f := range flooders {
				o, e := f.wait(t)
				opened, failed = opened+o, failed+e
			}
			t.Logf("flood: %d connections opened in %s, %d failed", opened, time.Since(start).Round(time.Millisecond), failed)
			openedAt := time.Now()

			// While the flood connections are open.
			if out, err := run(t, 10*time.Second, t.TempDir(), sipsak, "-vv", "-s", "sip:ping@"+p.sipAddr(),
				"--local-ip", addr(floodSources+1)); err != nil {
				t.Errorf("OPTIONS over UDP during the flood: %v\n%s", err, out)
			}
			if out, err := run(t, 10*time.Second, t.TempDir(), sipsak, "-U", "-vv", "--transport=tcp",
				"-s", "sip:3001@"+p.sipAddr(), "-C", "sip:3001@"+addr(floodSources+2)+":25077",
				"-u", "3001", "-a", "flood-pass", "-x", "300", "--local-ip", addr(floodSources+2)); err != nil {
				t.Errorf("REGISTER over TCP during the flood: %v\n%s", err, out)
			}
			if code, body := healthz(p); code != 200 {
				t.Errorf("/healthz during the flood: %d %s", code, body)
			}
			open := p.metricInt("pbx_sip_tcp_connections")
			fds, rss := procUsage(p.cmd.Process.Pid)
			t.Logf("during the flood: %d connections open in the server, %d descriptors, RSS %d MiB", open, fds, rss>>20)
			tc.held(t, p, open)

			// Every flood connection ends, closed by the server, by the
			// time the message timeout has passed.
			deadline := openedAt.Add(tc.timeout + 3*time.Second)
			stillOpen := 0
			for _, f := range flooders {
				stillOpen += f.check(t, deadline)
			}
			if stillOpen > 0 {
				t.Errorf("%d of %d flood connections still open %s after they were opened", stillOpen, opened, deadline.Sub(openedAt))
			}
			for _, transport := range []string{"udp", "tcp"} {
				if out, err := run(t, 10*time.Second, t.TempDir(), sipsak, "-vv", "--transport="+transport, "-s", "sip:ping@"+p.sipAddr(),
					"--local-ip", addr(floodSources+1)); err != nil {
					t.Errorf("OPTIONS over %s after the flood: %v\n%s", transport, err, out)
				}
			}
			if code, body := healthz(p); code != 200 {
				t.Errorf("/healthz after the flood: %d %s", code, body)
			}
			waitFor(t, "the server to count no connection open", 5*time.Second, func() bool {
				return p.metric("pbx_sip_tcp_connections") == "0"
			})
			fds, rss = procUsage(p.cmd.Process.Pid)
			t.Logf("after the timeout: %d descriptors, RSS %d MiB; closed for message timeout: %d", fds, rss>>20,
				p.metricInt(`pbx_sip_tcp_closed_total{reason="message_timeout"}`))
		})
	}
}

// floodFiles is the server's open file limit in the flood test.
const floodFiles = 20000

// flooder is a helper process (this test binary, running
// TestFloodHelperProcess) holding flood connections from one source address.
type flooder struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner
}

func startFlooder(t *testing.T, target, source string, count int) *flooder {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestFloodHelperProcess$")
	cmd.Env = append(os.Environ(), "PBX_TEST_BINARY="+pbxBinary, "PBX_FLOOD_TARGET="+target,
		"PBX_FLOOD_SOURCE="+source, fmt.Sprintf("PBX_FLOOD_COUNT=%d", count))
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	in, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	f := &flooder{cmd: cmd, in: in, out: bufio.NewScanner(out)}
	t.Cleanup(func() { in.Close(); cmd.Process.Kill(); cmd.Wait() })
	return f
}

// line reads the helper's next line that starts with prefix, and its numbers.
func (f *flooder) line(t *testing.T, prefix string) []int {
	t.Helper()
	for f.out.Scan() {
		fields := strings.Fields(f.out.Text())
		if len(fields) == 0 || fields[0] != prefix {
			continue // the test framework's own lines
		}
		var nums []int
		for _, s := range fields[1:] {
			n, _ := strconv.Atoi(s)
			nums = append(nums, n)
		}
		return nums
	}
	t.Fatalf("flood helper ended before saying %q", prefix)
	return nil
}

// wait returns how many connections the helper opened and how many failed.
func (f *flooder) wait(t *testing.T) (opened, failed int) {
	n := f.line(t, "opened")
	return n[0], n[1]
}

// check returns how many of the helper's connections are still open at deadline.
func (f *flooder) check(t *testing.T, deadline time.Time) int {
	fmt.Fprintln(f.in, deadline.UnixNano())
	return f.line(t, "open")[0]
}

// TestFloodHelperProcess is not a test: it is the flood helper process that
// TestTCPFloodLeavesSIPServing starts, and does nothing without its
// environment. It opens PBX_FLOOD_COUNT connections from PBX_FLOOD_SOURCE to
// PBX_FLOOD_TARGET, every second one sending the first half of an OPTIONS,
// says "opened N FAILED", reads a deadline (Unix nanoseconds) and says
// "open N": how many the server had not closed by then.
func TestFloodHelperProcess(t *testing.T) {
	target := os.Getenv("PBX_FLOOD_TARGET")
	if target == "" {
		return
	}
	count, _ := strconv.Atoi(os.Getenv("PBX_FLOOD_COUNT"))
	half := "OPTIONS sip:flood@" + target + " SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bK-flood\r\nMax-Forwards: 70\r\n"
	d := net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(os.Getenv("PBX_FLOOD_SOURCE"))}}
	conns := make([]net.Conn, 0, count)
	failed := 0
	for i := range count {
		c, err := d.Dial("tcp", target)
		if err != nil {
			failed++
			continue
		}
		conns = append(conns, c)
		if i%2 == 0 {
			c.Write([]byte(half)) // a refused connection may be gone already
		}
	}
	fmt.Printf("opened %d %d\n", len(conns), failed)
	var ns int64
	if _, err := fmt.Scan(&ns); err != nil {
		t.Fatal(err)
	}
	deadline := time.Unix(0, ns)
	open := 0
	buf := make([]byte, 512)
	for _, c := range conns {
		c.SetReadDeadline(deadline)
		for {
			_, err := c.Read(buf)
			if err == nil {
				continue // an answer to a half message the server refused, say
			}
			if errors.Is(err, os.ErrDeadlineExceeded) {
				open++
			}
			break
		}
		c.Close()
	}
	fmt.Printf("open %d\n", open)
}

// procUsage returns a process's open descriptors and resident memory in bytes.
func procUsage(pid int) (fds int, rss int64) {
	entries, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			rss = kb << 10
		}
	}
	return len(entries), rss
}

func healthz(p *pbx) (int, string) {
	c := http.Client{Timeout: 5 * time.Second}
	res, err := c.Get(p.http + "/healthz")
	if err != nil {
		return 0, err.Error()
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

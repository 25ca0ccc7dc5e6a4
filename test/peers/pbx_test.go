// Package peers drives the pbx binary with real SIP peers on loopback:
// sipp, sipsak, baresip and SIPVicious. Each test has its own loopback
// address, so tests can run side by side. A missing tool fails the test with
// the package to install: the test command installs them.
package peers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"pbx/test/peerkit"
)

var pbxBinary string

func TestMain(m *testing.M) {
	if bin := os.Getenv("PBX_TEST_BINARY"); bin != "" {
		pbxBinary = bin // a re-run inside a network namespace reuses the build
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "pbx-peers-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	pbxBinary = filepath.Join(dir, "pbx")
	build := exec.Command("go", "build", "-o", pbxBinary, "pbx/cmd/pbx")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build pbx:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// need fails the test when a peer tool is missing; it never skips.
func need(t *testing.T, tool, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(tool)
	if err != nil {
		t.Fatalf("%s is not installed (Debian package %s); the test command installs it", tool, pkg)
	}
	return p
}

// token is PBX_ADMIN_TOKEN: long enough for pbx to accept (configs.MinAdminTokenLen).
const token = "peer-test-token-0123456789"

// pbx is one running server.
type pbx struct {
	t       *testing.T
	ip      string
	sipPort int
	http    string
	dataDir string
	cmd     *exec.Cmd
	log     *peerkit.Buffer
	done    chan error
}

// startPBX runs the binary on ip with its own data folder (dataDir "" makes one).
func startPBX(t *testing.T, ip, dataDir string, env ...string) *pbx {
	t.Helper()
	return startPBXUnder(t, nil, ip, dataDir, env...)
}

// startPBXUnder is startPBX with the binary run by a wrapper command (such
// as prlimit) that ends by executing it.
func startPBXUnder(t *testing.T, wrapper []string, ip, dataDir string, env ...string) *pbx {
	t.Helper()
	if dataDir == "" {
		dataDir = t.TempDir()
	}
	p := &pbx{t: t, ip: ip, sipPort: 25060, http: "http://" + ip + ":28080", dataDir: dataDir, log: &peerkit.Buffer{}}
	args := append(append([]string{}, wrapper...), pbxBinary, "serve")
	p.cmd = exec.Command(args[0], args[1:]...)
	p.cmd.Env = append(os.Environ(),
		"PBX_ADMIN_TOKEN="+token,
		fmt.Sprintf("PBX_SIP_ADDR=%s:%d", ip, p.sipPort),
		"PBX_HTTP_ADDR="+ip+":28080",
		"PBX_DATA_DIR="+dataDir,
		"PBX_PUBLIC_IP="+ip,
		// Calls are free unless a test is about billing (it sets
		// PBX_BILLING_ENABLED=true, which comes later and wins).
		"PBX_BILLING_ENABLED=false",
	)
	p.cmd.Env = append(p.cmd.Env, env...)
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	// If the test binary dies, the server dies with it rather than linger
	// on the test's address.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p.done = make(chan error, 1)
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			saveLog(t, p.log.String())
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		// Our own process must say it started: a healthy answer alone could
		// come from a stray server on the same address.
		if strings.Contains(p.log.String(), "pbx started") {
			res, err := http.Get(p.http + "/healthz")
			if err == nil {
				res.Body.Close()
				if res.StatusCode == 200 {
					return p
				}
			}
		}
		select {
		case err := <-p.done:
			t.Fatalf("pbx exited at start: %v\n%s", err, p.log)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("pbx not healthy after 10s:\n%s", p.log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop sends SIGTERM and returns how long the server took to exit and its error.
func (p *pbx) stop() (time.Duration, error) {
	if p.cmd.ProcessState != nil || p.done == nil {
		return 0, nil
	}
	start := time.Now()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		p.done = nil
		return time.Since(start), err
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
		p.done = nil
		return time.Since(start), fmt.Errorf("did not stop within 10s")
	}
}

func (p *pbx) sipAddr() string { return fmt.Sprintf("%s:%d", p.ip, p.sipPort) }

// api calls the REST API and decodes the answer into out (if not nil).
func (p *pbx) api(method, path string, body, out any) int {
	p.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, p.http+path, r)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	if out != nil {
		if err := json.NewDecoder(res.Body).Decode(out); err != nil {
			p.t.Fatalf("%s %s: decode: %v", method, path, err)
		}
	}
	return res.StatusCode
}

func (p *pbx) createUser(ext, password string) {
	p.t.Helper()
	if err := p.tryCreateUser(ext, password); err != nil {
		p.t.Fatal(err)
	}
}

func (p *pbx) tryCreateUser(ext, password string) error {
	b, _ := json.Marshal(map[string]any{"name": "User " + ext, "extension": ext, "sip_password": password})
	req, _ := http.NewRequest("POST", p.http+"/api/v1/users", bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("create user %s: %w", ext, err)
	}
	defer res.Body.Close()
	if res.StatusCode != 201 {
		body, _ := io.ReadAll(res.Body)
		return fmt.Errorf("create user %s: %d %s", ext, res.StatusCode, body)
	}
	return nil
}

// createUsers makes count users, extension first..., password "pass-<ext>".
func (p *pbx) createUsers(first, count int) {
	p.t.Helper()
	var wg sync.WaitGroup
	work := make(chan int)
	errs := make(chan error, count)
	for range 8 {
		wg.Go(func() {
			for ext := range work {
				if err := p.tryCreateUser(fmt.Sprint(ext), fmt.Sprintf("pass-%d", ext)); err != nil {
					errs <- err
				}
			}
		})
	}
	for ext := first; ext < first+count; ext++ {
		work <- ext
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		p.t.Fatal(err)
	}
}

type registration struct {
	Username  string `json:"username"`
	Contact   string `json:"contact"`
	Source    string `json:"source"`
	Transport string `json:"transport"`
	UserAgent string `json:"user_agent"`
	ExpiresIn int    `json:"expires_in"`
}

func (p *pbx) registrations() []registration {
	p.t.Helper()
	var out struct {
		Registrations []registration `json:"registrations"`
	}
	if code := p.api("GET", "/api/v1/registrations", nil, &out); code != 200 {
		p.t.Fatalf("registrations: %d", code)
	}
	return out.Registrations
}

// metricLines fetches /metrics as lines.
func (p *pbx) metricLines() []string {
	p.t.Helper()
	res, err := http.Get(p.http + "/metrics")
	if err != nil {
		p.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return strings.Split(string(b), "\n")
}

// metric reads one sample from /metrics ("" if absent).
func (p *pbx) metric(name string) string {
	p.t.Helper()
	for _, line := range p.metricLines() {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			return v
		}
	}
	return ""
}

// requestCount sums pbx_sip_requests_total for method over every code.
func (p *pbx) requestCount(method string) int {
	p.t.Helper()
	total := 0
	for _, line := range p.metricLines() {
		if strings.HasPrefix(line, "pbx_sip_requests_total{") && strings.Contains(line, `method="`+method+`"`) {
			var n int
			fmt.Sscan(line[strings.LastIndex(line, " ")+1:], &n)
			total += n
		}
	}
	return total
}

// waitFor polls cond until it holds or the time runs out.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func outDir(t *testing.T) string {
	dir, _ := filepath.Abs(filepath.Join("..", "out", "peers", t.Name()))
	os.MkdirAll(dir, 0o755)
	return dir
}

func saveLog(t *testing.T, log string) {
	path := filepath.Join(outDir(t), "pbx.log")
	os.WriteFile(path, []byte(log), 0o644)
	t.Logf("server log saved to %s", path)
}

// run runs a peer tool, with a time limit, and returns its combined output.
func run(t *testing.T, limit time.Duration, dir, name string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return "", err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return out.String(), err
	case <-time.After(limit):
		cmd.Process.Kill()
		<-done
		return out.String(), fmt.Errorf("%s did not finish within %s", name, limit)
	}
}

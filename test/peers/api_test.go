package peers

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// clientFrom is an HTTP client whose connections leave from ip.
func clientFrom(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 32}}
}

// TestBearerGuessingGets429 is issue 11's attack on the pbx binary: 2,000
// wrong bearer tokens as fast as 16 connections from one address carry
// them. Five reach the token check (plus at most the checks already under
// way when the fifth failed); the rest, and then the right token from that
// address, get 429 with Retry-After; another address is served.
func TestBearerGuessingGets429(t *testing.T) {
	p := startPBX(t, "127.0.91.1", "")
	get := func(c *http.Client, tok string) (int, string, error) {
		req, _ := http.NewRequest("GET", p.http+"/api/v1/users", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := c.Do(req)
		if err != nil {
			return 0, "", err
		}
		res.Body.Close()
		return res.StatusCode, res.Header.Get("Retry-After"), nil
	}
	attacker := clientFrom("127.0.91.2")
	const guesses, conns = 2000, 16
	var (
		mu     sync.Mutex
		counts = map[int]int{}
		errs   []error
		wg     sync.WaitGroup
	)
	start := time.Now()
	for c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := c; i < guesses; i += conns {
				code, _, err := get(attacker, fmt.Sprintf("pbx_guess%06d", i))
				mu.Lock()
				counts[code]++
				if err != nil {
					errs = append(errs, err)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	took := time.Since(start)
	if len(errs) > 0 {
		t.Fatalf("%d requests failed, first: %v", len(errs), errs[0])
	}
	t.Logf("%d wrong tokens in %v (%.0f/s): %v", guesses, took.Round(time.Millisecond), guesses/took.Seconds(), counts)
	if n := counts[http.StatusUnauthorized]; n < 5 || n > 5+conns-1 || n+counts[http.StatusTooManyRequests] != guesses {
		t.Fatalf("answers %v: want 5 to %d x 401 and the rest 429", counts, 5+conns-1)
	}
	code, retry, err := get(attacker, token)
	if err != nil || code != http.StatusTooManyRequests {
		t.Fatalf("the right token from the guessing address: %d %v, want 429", code, err)
	}
	if n, err := strconv.Atoi(retry); err != nil || n < 1 || n > 60 {
		t.Fatalf("Retry-After %q", retry)
	}
	if code, _, err := get(clientFrom("127.0.91.3"), token); err != nil || code != http.StatusOK {
		t.Fatalf("the right token from another address: %d %v", code, err)
	}
}

// TestShortAdminTokenIsRefused: pbx does not start with a PBX_ADMIN_TOKEN
// too short to withstand guessing, and says why.
func TestShortAdminTokenIsRefused(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, pbxBinary, "serve")
	cmd.Env = append(os.Environ(), "PBX_ADMIN_TOKEN=peer-test-token", "PBX_SIP_ADDR=127.0.91.4:25060",
		"PBX_HTTP_ADDR=127.0.91.4:28080", "PBX_DATA_DIR="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("pbx started with a 15-character PBX_ADMIN_TOKEN:\n%s", out)
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) || !strings.Contains(string(out), "PBX_ADMIN_TOKEN") || !strings.Contains(string(out), "at least 20") {
		t.Fatalf("exit %v, output:\n%s\nwant a non-zero exit naming PBX_ADMIN_TOKEN and its minimum length", err, out)
	}
}

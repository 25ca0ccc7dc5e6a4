package web

import (
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestGoroutinesReturnToBaselineAfterLoad drives the API over real HTTP
// connections (users created and listed, live view streams opened and
// dropped mid-stream) from many clients at once, then checks that the
// server's goroutines come back to what they were once the clients leave.
func TestGoroutinesReturnToBaselineAfterLoad(t *testing.T) {
	live := newFakeLive()
	_, srv := liveServer(t, live)
	settle := func() int {
		runtime.GC()
		return runtime.NumGoroutine()
	}
	base := settle()
	call := func(method, path, body string) (int, error) {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+bootstrap)
		req.Header.Set("Content-Type", "application/json")
		res, err := srv.Client().Do(req)
		if err != nil {
			return 0, err
		}
		defer res.Body.Close()
		io.Copy(io.Discard, res.Body)
		return res.StatusCode, nil
	}
	var wg sync.WaitGroup
	for c := range 16 {
		wg.Go(func() {
			for i := range 20 {
				ext := 2000 + c*100 + i
				if code, err := call("POST", "/api/v1/users", fmt.Sprintf(`{"name":"Load %d","extension":"%d","sip_password":"pass-%d-long"}`, ext, ext, ext)); err != nil || code != http.StatusCreated {
					t.Errorf("create user: %d %v", code, err)
					return
				}
				if code, err := call("GET", "/api/v1/users", ""); err != nil || code != http.StatusOK {
					t.Errorf("list users: %d %v", code, err)
					return
				}
			}
		})
	}
	for range 8 {
		wg.Go(func() {
			for range 5 {
				req, _ := http.NewRequest("GET", srv.URL+"/api/v1/live", nil)
				req.Header.Set("Authorization", "Bearer "+bootstrap)
				res, err := srv.Client().Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				buf := make([]byte, 64)
				res.Body.Read(buf) // the snapshot has started: leave mid-stream
				res.Body.Close()
			}
		})
	}
	wg.Wait()
	srv.CloseClientConnections()
	srv.Client().CloseIdleConnections()
	deadline := time.Now().Add(10 * time.Second)
	n := settle()
	for n > base && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		n = settle()
	}
	if n > base {
		buf := make([]byte, 1<<20)
		t.Fatalf("%d goroutines after the load, %d before:\n%s", n, base, buf[:runtime.Stack(buf, true)])
	}
}

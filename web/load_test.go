package web

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestGoroutinesReturnToBaselineAfterLoad drives the API over real HTTP
// connections (users created and listed, live view streams opened and
// dropped mid-stream) from many clients at once, then checks that the
// server's goroutines come back to what they were once the clients leave.
func TestGoroutinesReturnToBaselineAfterLoad(t *testing.T) {
	live := newFakeLive()
	_, srv := liveServer(t, live)
	before := goleak.IgnoreCurrent()
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
	// Anything the load started and still running 10 s after is a leak.
	err := goleak.Find(before)
	for deadline := time.Now().Add(10 * time.Second); err != nil && time.Now().Before(deadline); {
		err = goleak.Find(before) // waits up to ~2 s itself
	}
	if err != nil {
		t.Fatal(err)
	}
}

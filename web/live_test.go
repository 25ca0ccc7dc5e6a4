package web

import (
	"bufio"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"pbx/routing"
	"pbx/sip"
)

// fakeLive is the engine's and the registrar's live state as the tests set it.
type fakeLive struct {
	mu       sync.Mutex
	calls    []routing.LiveCall
	queues   []routing.QueueDepth
	bindings []sip.Binding
	changed  chan struct{}
}

func newFakeLive() *fakeLive { return &fakeLive{changed: make(chan struct{})} }

func (f *fakeLive) Changed() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.changed
}

func (f *fakeLive) LiveCalls() []routing.LiveCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

func (f *fakeLive) Queues() []routing.QueueDepth {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.queues)
}

func (f *fakeLive) All() []sip.Binding {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.bindings)
}

// change edits the state and tells the watchers.
func (f *fakeLive) change(edit func(f *fakeLive)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	edit(f)
	close(f.changed)
	f.changed = make(chan struct{})
}

func liveServer(t *testing.T, live *fakeLive) (*Server, *httptest.Server) {
	t.Helper()
	db, log := testDB(t)
	s := NewServer(Config{AdminToken: bootstrap}, db, routing.NewDirectory(db, "pbx"), live, prometheus.NewRegistry(), log,
		WithLive(live, live))
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	t.Cleanup(s.Close) // first: streams end, so srv.Close does not wait on them
	return s, srv
}

type sseEvent struct{ name, data string }

// openLive connects to the live view and delivers its events; the channel
// closes when the stream ends.
func openLive(t *testing.T, srv *httptest.Server, query string) (*http.Response, <-chan sseEvent) {
	t.Helper()
	req, _ := http.NewRequest("GET", srv.URL+"/api/v1/live"+query, nil)
	req.Header.Set("Authorization", "Bearer "+bootstrap)
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	events := make(chan sseEvent, 100)
	if res.StatusCode != http.StatusOK {
		close(events)
		return res, events
	}
	go func() {
		defer close(events)
		sc := bufio.NewScanner(res.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.name != "" {
					events <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "event: "):
				ev.name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.data = strings.TrimPrefix(line, "data: ")
			}
		}
	}()
	return res, events
}

// next returns the next event, failing after a while without one.
func next(t *testing.T, events <-chan sseEvent) sseEvent {
	t.Helper()
	select {
	case ev, ok := <-events:
		if !ok {
			t.Fatal("the stream ended")
		}
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no event in 5 s")
	}
	return sseEvent{}
}

func wantEvent(t *testing.T, events <-chan sseEvent, name string, check func(data string) bool) {
	t.Helper()
	ev := next(t, events)
	if ev.name != name || !check(ev.data) {
		t.Fatalf("event %s %s, want %s", ev.name, ev.data, name)
	}
}

func TestLiveView(t *testing.T) {
	start := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	live := newFakeLive()
	live.calls = []routing.LiveCall{{ID: 1, CallID: "a@b", Direction: "inbound", From: "+15551230000", To: "+15550001111",
		Status: routing.LiveRouting, FlowID: 2, FlowName: "Support", State: "menu", StateType: routing.StateIVR, StartedAt: start, Since: start}}
	live.queues = []routing.QueueDepth{{Queue: "group 3", Kind: "group", ID: 3, Waiting: 1}}
	far := time.Now().Add(time.Hour)
	live.bindings = []sip.Binding{
		{UserID: 1, AOR: "alice", Contact: "sip:alice@10.0.0.2", Since: start, Expires: far},
		{UserID: 1, AOR: "alice", Contact: "sip:alice@10.0.0.3", Since: start.Add(time.Minute), Expires: far},
	}
	_, srv := liveServer(t, live)

	res, events := openLive(t, srv, "")
	if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	ev := next(t, events)
	var snap LiveSnapshot
	if ev.name != "snapshot" || json.Unmarshal([]byte(ev.data), &snap) != nil {
		t.Fatalf("first event %s %s", ev.name, ev.data)
	}
	if len(snap.Calls) != 1 || snap.Calls[0].State != "menu" || snap.Calls[0].FlowName != "Support" ||
		!slices.Equal(snap.Queues, live.queues) ||
		len(snap.Online) != 1 || snap.Online[0] != (OnlineUser{Username: "alice", UserID: 1, Devices: 2, Since: start}) {
		t.Fatalf("snapshot %+v", snap)
	}

	// Alice answers: the call, her being on a call and the queue emptied
	// arrive as one update, in that order.
	live.change(func(f *fakeLive) {
		f.calls[0].Status, f.calls[0].UserID = routing.LiveConnected, 1
		f.queues = nil
	})
	wantEvent(t, events, "call", func(d string) bool {
		return strings.Contains(d, `"status":"connected"`) && strings.Contains(d, `"user_id":1`)
	})
	wantEvent(t, events, "queue", func(d string) bool { return d == `{"queue":"group 3","kind":"group","id":3,"waiting":0}` })
	wantEvent(t, events, "online", func(d string) bool {
		return strings.Contains(d, `"username":"alice"`) && strings.Contains(d, `"on_call":true`)
	})

	// Bob registers, alice's phones leave, the call ends.
	live.change(func(f *fakeLive) {
		f.bindings = []sip.Binding{{UserID: 2, AOR: "bob", Contact: "sip:bob@10.0.0.4", Since: start, Expires: far}}
	})
	wantEvent(t, events, "online", func(d string) bool {
		return strings.Contains(d, `"username":"bob"`) && strings.Contains(d, `"devices":1`)
	})
	wantEvent(t, events, "offline", func(d string) bool { return d == `{"username":"alice"}` })
	live.change(func(f *fakeLive) { f.calls = nil })
	wantEvent(t, events, "call_ended", func(d string) bool { return d == `{"id":1}` })

	// A change that changes nothing shown sends nothing; the next one does.
	live.change(func(f *fakeLive) {})
	live.change(func(f *fakeLive) { f.queues = []routing.QueueDepth{{Queue: "user 2", Kind: "user", ID: 2, Waiting: 2}} })
	wantEvent(t, events, "queue", func(d string) bool { return strings.Contains(d, `"queue":"user 2"`) })
}

// TestLiveViewLimits: clients are capped, a query parameter is refused,
// and shutting down ends every stream.
func TestLiveViewLimits(t *testing.T) {
	s, srv := liveServer(t, newFakeLive())
	s.live.max = 2
	_, first := openLive(t, srv, "")
	_, second := openLive(t, srv, "")
	wantEvent(t, first, "snapshot", func(string) bool { return true })
	wantEvent(t, second, "snapshot", func(string) bool { return true })
	res, _ := openLive(t, srv, "")
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" {
		t.Fatalf("third client: %d, Retry-After %q", res.StatusCode, res.Header.Get("Retry-After"))
	}
	if res, _ := openLive(t, srv, "?all=1"); res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("a query parameter: %d", res.StatusCode)
	}

	s.Close()
	for _, events := range []<-chan sseEvent{first, second} {
		select {
		case ev, ok := <-events:
			if ok {
				t.Fatalf("after Close: %+v", ev)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("the stream goes on after Close")
		}
	}
	if res, _ := openLive(t, srv, ""); res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("after Close: %d", res.StatusCode)
	}
}

// TestLiveSlowClientDropped: a client that does not take its updates is
// dropped once it is backlog updates behind, not buffered for.
func TestLiveSlowClientDropped(t *testing.T) {
	live := newFakeLive()
	s, _ := liveServer(t, live)
	s.live.backlog = 2
	slow, _, err := s.live.subscribe()
	if err != nil {
		t.Fatal(err)
	}
	defer s.live.unsubscribe(slow)
	for i := range 3 {
		live.change(func(f *fakeLive) {
			f.queues = []routing.QueueDepth{{Queue: "user 1", Kind: "user", ID: 1, Waiting: i + 1}}
		})
		time.Sleep(3 * liveGather) // one update per change
	}
	got := 0
	for dropped := false; !dropped; {
		select {
		case _, ok := <-slow.updates: // closed once dropped
			if ok {
				got++
			}
			dropped = !ok
		case <-time.After(5 * time.Second):
			t.Fatalf("the slow client was not dropped (%d updates taken)", got)
		}
	}
	if got != 2 {
		t.Fatalf("%d updates kept for a slow client, want the backlog of 2", got)
	}
	s.live.mu.Lock()
	n := len(s.live.clients)
	s.live.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d clients after the drop", n)
	}
}

// TestLiveViewSession: a browser's EventSource, which sends the session
// cookie and no headers of its own, may watch; nobody else may.
func TestLiveViewSession(t *testing.T) {
	s, srv := liveServer(t, newFakeLive())
	cookie, _ := signIn(t, s, bootstrap)
	for _, tt := range []struct {
		name   string
		cookie string
		want   int
	}{{"signed in", cookie, http.StatusOK}, {"no session", "", http.StatusUnauthorized}} {
		req, _ := http.NewRequest("GET", srv.URL+"/api/v1/live", nil)
		if tt.cookie != "" {
			req.AddCookie(&http.Cookie{Name: sessionCookie, Value: tt.cookie})
		}
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, res.StatusCode, tt.want)
		}
		if res.StatusCode == http.StatusOK {
			line, _ := bufio.NewReader(res.Body).ReadString('\n')
			if line != "retry: 2000\n" {
				t.Errorf("%s: stream begins %q", tt.name, line)
			}
		}
		res.Body.Close()
	}
}

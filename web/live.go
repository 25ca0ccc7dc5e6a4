package web

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"pbx/routing"
	"pbx/sip"
)

// The live view, GET /api/v1/live, is a stream of server-sent events: a
// snapshot of the calls in progress, the queues and who is online when a
// client connects, then what changed as it changes. One watcher goroutine
// runs while anyone watches: it waits for the sources to say they changed,
// takes their state once, works out what changed and hands the same
// encoded events to every client. A client that does not keep up is
// dropped (its browser reconnects and gets a fresh snapshot) rather than
// buffered for, and the number of clients is capped.

// Watched is a source of live state that says when it changes.
type Watched interface {
	// Changed returns a channel closed at the source's next change.
	Changed() <-chan struct{}
}

// LiveCalls is what the live view reads of calls in progress and queues.
type LiveCalls interface {
	Watched
	LiveCalls() []routing.LiveCall
	Queues() []routing.QueueDepth
}

// Limits of the live view.
const (
	// maxLiveClients caps the streams open at once; more are refused
	// with 503 and Retry-After.
	maxLiveClients = 64
	// liveBacklog is how many updates a client may fall behind before it
	// is dropped.
	liveBacklog = 32
	// liveWriteTimeout drops a client whose connection takes no data.
	liveWriteTimeout = 10 * time.Second
	// liveHeartbeat keeps idle streams open through proxies.
	liveHeartbeat = 20 * time.Second
	// liveGather gathers a burst of changes into one update.
	liveGather = 50 * time.Millisecond
	// liveMinExpiryWait keeps a registration expiring in the past (or
	// a clock that disagrees) from waking the watcher in a loop.
	liveMinExpiryWait = time.Second
)

var (
	errLiveFull   = errors.New("too many live view clients; try again shortly")
	errLiveClosed = errors.New("the server is shutting down")
)

// WithLive serves the live view from calls and the server's registrations;
// online says when the registrations change (nil if they never do).
func WithLive(calls LiveCalls, online Watched) Option {
	return func(s *Server) {
		s.live = &liveHub{src: calls, online: online, regs: s.regs, max: maxLiveClients, backlog: liveBacklog}
	}
}

// OnlineUser is one user with a device registered, as the live view shows it.
type OnlineUser struct {
	Username string    `json:"username"`
	UserID   uint      `json:"user_id"`
	Devices  int       `json:"devices"`
	Since    time.Time `json:"since"` // when the earliest device registered
	OnCall   bool      `json:"on_call"`
}

// LiveSnapshot is the live view's first event.
type LiveSnapshot struct {
	Calls  []routing.LiveCall   `json:"calls"`
	Queues []routing.QueueDepth `json:"queues"`
	Online []OnlineUser         `json:"online"`
}

type liveHub struct {
	src     LiveCalls
	online  Watched // nil: registrations are read but never announced
	regs    Registrations
	max     int
	backlog int

	mu      sync.Mutex
	clients map[*liveClient]struct{}
	closed  bool
	stop    chan struct{} // closed to stop the watcher; nil when none runs
	done    chan struct{} // closed when the watcher has stopped

	// What the clients were last told, and when to look again.
	calls        map[uint64]routing.LiveCall
	queues       map[string]routing.QueueDepth
	users        map[string]OnlineUser
	callsChanged <-chan struct{}
	usersChanged <-chan struct{}
	nextExpiry   time.Time
}

type liveClient struct {
	updates chan []byte // encoded events; closed when the client is dropped
}

// subscribe adds a client and returns it with the snapshot to send first.
func (h *liveHub) subscribe() (*liveClient, []byte, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case h.closed:
		return nil, nil, errLiveClosed
	case len(h.clients) >= h.max:
		return nil, nil, errLiveFull
	}
	if h.clients == nil {
		h.clients = make(map[*liveClient]struct{})
	}
	if h.stop == nil {
		h.refresh() // nobody was watching: the state kept is old
		h.stop, h.done = make(chan struct{}), make(chan struct{})
		go h.watch(h.stop, h.done)
	}
	c := &liveClient{updates: make(chan []byte, h.backlog)}
	h.clients[c] = struct{}{}
	return c, h.snapshot(), nil
}

// unsubscribe removes c; the last client out stops the watcher and waits
// for it.
func (h *liveHub) unsubscribe(c *liveClient) {
	h.mu.Lock()
	h.drop(c)
	done := h.stopWatcher()
	h.mu.Unlock()
	if done != nil {
		<-done
	}
}

// close ends every stream and refuses new ones: an http.Server's Shutdown
// waits for requests to end, and streams never end by themselves.
func (h *liveHub) close() {
	h.mu.Lock()
	h.closed = true
	for c := range h.clients {
		h.drop(c)
	}
	done := h.stopWatcher()
	h.mu.Unlock()
	if done != nil {
		<-done
	}
}

// drop removes c and closes its updates, which ends its stream; h.mu is held.
func (h *liveHub) drop(c *liveClient) {
	if _, ok := h.clients[c]; ok {
		delete(h.clients, c)
		close(c.updates)
	}
}

// stopWatcher stops the watcher when nobody watches; h.mu is held. The
// caller waits on what it returns once h.mu is released.
func (h *liveHub) stopWatcher() chan struct{} {
	if len(h.clients) > 0 || h.stop == nil {
		return nil
	}
	done := h.done
	close(h.stop)
	h.stop, h.done = nil, nil
	return done
}

// watch sends every client what changed, each time a source says it did,
// and when the next registration expires, until stop is closed.
func (h *liveHub) watch(stop, done chan struct{}) {
	defer close(done)
	expiry := time.NewTimer(time.Hour)
	defer expiry.Stop()
	for {
		h.mu.Lock()
		calls, users, next := h.callsChanged, h.usersChanged, h.nextExpiry
		h.mu.Unlock()
		wait := time.Hour
		if !next.IsZero() {
			wait = max(time.Until(next), liveMinExpiryWait)
		}
		expiry.Reset(wait)
		select {
		case <-stop:
			return
		case <-calls:
		case <-users:
		case <-expiry.C:
		}
		gather := time.NewTimer(liveGather)
		select {
		case <-stop:
			gather.Stop()
			return
		case <-gather.C:
		}
		h.mu.Lock()
		select {
		case <-stop: // unsubscribe won the lock; its clients are gone
		default:
			if update := h.refresh(); len(update) > 0 {
				for c := range h.clients {
					select {
					case c.updates <- update:
					default:
						h.drop(c) // too far behind: it reconnects to a snapshot
					}
				}
			}
		}
		h.mu.Unlock()
	}
}

// refresh reads the sources, keeps their state and returns the events
// that tell a client what changed since the last refresh; h.mu is held.
// The change channels are taken before the state, so no change is missed.
func (h *liveHub) refresh() []byte {
	h.callsChanged = h.src.Changed()
	if h.online != nil {
		h.usersChanged = h.online.Changed()
	}
	var out bytes.Buffer

	calls := make(map[uint64]routing.LiveCall)
	onCall := make(map[uint]bool)
	for _, c := range h.src.LiveCalls() {
		calls[c.ID] = c
		if c.Status == routing.LiveConnected && c.UserID != 0 {
			onCall[c.UserID] = true
		}
		if old, ok := h.calls[c.ID]; !ok || old != c {
			event(&out, "call", c)
		}
	}
	for _, id := range sortedIDs(h.calls) {
		if _, ok := calls[id]; !ok {
			event(&out, "call_ended", map[string]uint64{"id": id})
		}
	}
	h.calls = calls

	queues := make(map[string]routing.QueueDepth)
	for _, q := range h.src.Queues() {
		queues[q.Queue] = q
		if h.queues[q.Queue] != q {
			event(&out, "queue", q)
		}
	}
	for _, name := range sortedKeysOf(h.queues) {
		if _, ok := queues[name]; !ok {
			q := h.queues[name]
			q.Waiting = 0
			event(&out, "queue", q)
		}
	}
	h.queues = queues

	users := make(map[string]OnlineUser)
	h.nextExpiry = time.Time{}
	for _, b := range h.regs.All() {
		u := users[b.AOR]
		if u.Devices == 0 || b.Since.Before(u.Since) {
			u.Since = b.Since
		}
		u.Username, u.UserID, u.OnCall = b.AOR, b.UserID, onCall[b.UserID]
		u.Devices++
		users[b.AOR] = u
		if h.nextExpiry.IsZero() || b.Expires.Before(h.nextExpiry) {
			h.nextExpiry = b.Expires
		}
	}
	for _, name := range sortedKeysOf(users) {
		if old, ok := h.users[name]; !ok || old != users[name] {
			event(&out, "online", users[name])
		}
	}
	for _, name := range sortedKeysOf(h.users) {
		if _, ok := users[name]; !ok {
			event(&out, "offline", map[string]string{"username": name})
		}
	}
	h.users = users
	return out.Bytes()
}

// snapshot encodes the state kept as a snapshot event; h.mu is held.
func (h *liveHub) snapshot() []byte {
	s := LiveSnapshot{Calls: []routing.LiveCall{}, Queues: []routing.QueueDepth{}, Online: []OnlineUser{}}
	for _, id := range sortedIDs(h.calls) {
		s.Calls = append(s.Calls, h.calls[id])
	}
	for _, name := range sortedKeysOf(h.queues) {
		s.Queues = append(s.Queues, h.queues[name])
	}
	for _, name := range sortedKeysOf(h.users) {
		s.Online = append(s.Online, h.users[name])
	}
	var out bytes.Buffer
	event(&out, "snapshot", s)
	return out.Bytes()
}

// event appends one server-sent event; JSON holds no newline, so data is
// one line.
func event(out *bytes.Buffer, name string, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		panic(err) // plain structs of ours: cannot fail
	}
	out.WriteString("event: ")
	out.WriteString(name)
	out.WriteString("\ndata: ")
	out.Write(data)
	out.WriteString("\n\n")
}

func sortedIDs[V any](m map[uint64]V) []uint64 {
	ids := make([]uint64, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

func sortedKeysOf[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, cmp.Compare[string])
	return keys
}

// streamLive answers GET /api/v1/live with the stream of server-sent events.
func (s *Server) streamLive(w http.ResponseWriter, r *http.Request) {
	c, snapshot, err := s.live.subscribe()
	if err != nil {
		w.Header().Set("Retry-After", "5")
		writeJSON(w, http.StatusServiceUnavailable, errorBody{Error: err.Error()})
		return
	}
	defer s.live.unsubscribe(c)
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx would otherwise hold events back
	w.WriteHeader(http.StatusOK)
	send := func(b []byte) bool {
		// A connection that takes nothing for this long is dropped;
		// recorders in tests have no deadlines, hence the ignored error.
		_ = rc.SetWriteDeadline(time.Now().Add(liveWriteTimeout))
		if _, err := w.Write(b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	retry := "retry: " + strconv.Itoa(int(2*time.Second/time.Millisecond)) + "\n\n"
	if !send(append([]byte(retry), snapshot...)) {
		return
	}
	beat := time.NewTicker(liveHeartbeat)
	defer beat.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case update, ok := <-c.updates:
			if !ok {
				return // dropped, or the server is stopping
			}
			if !send(update) {
				return
			}
		case <-beat.C:
			if !send([]byte(": keep-alive\n\n")) {
				return
			}
		}
	}
}

// Close ends the live view's streams, so that an http.Server's Shutdown
// is not held up by them. Register it with http.Server.RegisterOnShutdown.
func (s *Server) Close() {
	if s.live != nil {
		s.live.close()
	}
}

// What cmd/pbx wires in satisfies what the live view reads.
var (
	_ Registrations = (*sip.Location)(nil)
	_ Watched       = (*sip.Location)(nil)
	_ LiveCalls     = (*routing.Engine)(nil)
)

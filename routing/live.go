package routing

import (
	"cmp"
	"slices"
	"sync"
	"time"
)

// LiveCall is a call in progress as the live view shows it. It is a plain
// comparable value, so a watcher can tell what changed with ==.
type LiveCall struct {
	// ID tells this call apart from every other call of this run of the
	// server; RecordID is its record in the history (0 if it could not be
	// stored).
	ID        uint64 `json:"id"`
	RecordID  uint   `json:"record_id,omitzero"`
	CallID    string `json:"call_id"`
	Direction string `json:"direction"`
	From      string `json:"from"` // the caller
	To        string `json:"to"`   // the number, extension or user called
	// Status is routing (in a state of the flow: menu, announcement,
	// voicemail), ringing, queued or connected.
	Status string `json:"status"`
	// UserID is the user the call is with: who answered, who places an
	// outgoing call, or whose phone rings.
	UserID    uint      `json:"user_id,omitzero"`
	FlowID    uint      `json:"flow_id,omitzero"`
	FlowName  string    `json:"flow_name,omitzero"`
	State     string    `json:"state,omitzero"` // the flow state the call is in
	StateType StateType `json:"state_type,omitzero"`
	// Queue names the queue the call waits in ("group 3", "user 7").
	Queue      string    `json:"queue,omitzero"`
	StartedAt  time.Time `json:"started_at"`
	AnsweredAt time.Time `json:"answered_at,omitzero"`
	Since      time.Time `json:"since"` // when Status or State last changed
}

// Live call statuses.
const (
	LiveRouting   = "routing"
	LiveRinging   = "ringing"
	LiveQueued    = "queued"
	LiveConnected = "connected"
)

// QueueDepth is how many callers wait in one queue.
type QueueDepth struct {
	Queue   string `json:"queue"` // "group 3", "user 7"
	Kind    string `json:"kind"`  // group or user
	ID      uint   `json:"id"`
	Waiting int    `json:"waiting"`
}

// liveCalls holds the calls in progress and says when they, or the queues,
// change. Changes come once per call-state change, never per packet.
type liveCalls struct {
	mu      sync.Mutex
	next    uint64
	calls   map[uint64]LiveCall
	changed chan struct{} // closed and replaced at each change
}

func (l *liveCalls) init() {
	l.calls = make(map[uint64]LiveCall)
	l.changed = make(chan struct{})
}

// notify wakes whoever waits on Changed; l.mu is held.
func (l *liveCalls) notify() {
	close(l.changed)
	l.changed = make(chan struct{})
}

func (l *liveCalls) add(c LiveCall) uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.next++
	c.ID = l.next
	l.calls[c.ID] = c
	l.notify()
	return c.ID
}

func (l *liveCalls) set(c LiveCall) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if old, ok := l.calls[c.ID]; ok && old != c {
		l.calls[c.ID] = c
		l.notify()
	}
}

func (l *liveCalls) remove(id uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.calls, id)
	l.notify()
}

// LiveCalls returns the calls in progress, oldest first.
func (e *Engine) LiveCalls() []LiveCall {
	e.live.mu.Lock()
	out := make([]LiveCall, 0, len(e.live.calls))
	for _, c := range e.live.calls {
		out = append(out, c)
	}
	e.live.mu.Unlock()
	slices.SortFunc(out, func(a, b LiveCall) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// Queues returns the queues that hold callers now.
func (e *Engine) Queues() []QueueDepth {
	e.queues.mu.Lock()
	out := make([]QueueDepth, 0, len(e.queues.waiting))
	for k, list := range e.queues.waiting {
		out = append(out, QueueDepth{Queue: k.String(), Kind: k.kind, ID: k.id, Waiting: len(list)})
	}
	e.queues.mu.Unlock()
	slices.SortFunc(out, func(a, b QueueDepth) int { return cmp.Compare(a.Queue, b.Queue) })
	return out
}

// Changed returns a channel that is closed at the next change of the calls
// in progress or of the queues.
func (e *Engine) Changed() <-chan struct{} {
	e.live.mu.Lock()
	defer e.live.mu.Unlock()
	return e.live.changed
}

// queuesChanged tells watchers a queue grew or shrank.
func (e *Engine) queuesChanged() {
	e.live.mu.Lock()
	e.live.notify()
	e.live.mu.Unlock()
}

// show publishes the call's state now: status, and the flow state st (the
// zero State keeps the one shown).
func (r *run) show(status string, st State) {
	c := r.shown
	c.RecordID, c.CallID, c.Direction = r.rec.ID, r.rec.CallID, r.rec.Direction
	c.From, c.To, c.StartedAt = r.rec.From, r.rec.To, r.rec.StartedAt
	if r.rec.OwnerUserID != nil {
		c.UserID = *r.rec.OwnerUserID
	}
	if r.rec.FlowID != nil {
		c.FlowID, c.FlowName = *r.rec.FlowID, r.doc.Name
	}
	if r.rec.AnsweredAt != nil {
		c.AnsweredAt = *r.rec.AnsweredAt
	}
	if st.ID != "" {
		c.State, c.StateType = st.ID, st.Type
	}
	if status != LiveQueued {
		c.Queue = ""
	}
	if c.Status != status || c.State != r.shown.State {
		c.Since = r.e.now()
	}
	c.Status = status
	r.shown = c
	r.e.live.set(c)
}

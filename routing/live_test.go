package routing

import (
	"slices"
	"testing"
	"time"
)

// TestLiveCalls: a caller waiting in a queue shows as queued, in its flow's
// state, with the queue's depth; once over, the call is gone, and watchers
// were told of each change.
func TestLiveCalls(t *testing.T) {
	p := &safePresence{fakePresence: everyone()}
	p.onCall[alice] = true
	var (
		during  []LiveCall
		queues  []QueueDepth
		changed <-chan struct{}
	)
	m := runMedia(t, flowOf([]State{queued(alice, 2, 0)}), p, map[uint]error{alice: nil}, func(m *mediaRun) {
		changed = m.e.Changed()
		m.call.playFor = 20 * time.Millisecond
		m.call.onPlay = func(n int) {
			switch n {
			case 1: // the queue's notification
				during, queues = m.e.LiveCalls(), m.e.Queues()
			case 2:
				p.setOnCall(alice, false)
				m.e.UserFree(alice)
			}
		}
	})
	if len(during) != 1 {
		t.Fatalf("live calls while queued: %+v", during)
	}
	c := during[0]
	if c.Status != LiveQueued || c.Queue != "user 1" || c.State != "alice" || c.StateType != StateTransferUser ||
		c.From != "+15551230000" || c.To != engineNumber || c.FlowName != "Test" || c.FlowID == 0 ||
		c.RecordID != m.rec.ID || c.CallID != "call-1@test" || c.AnsweredAt.IsZero() || c.Since.Before(c.StartedAt) {
		t.Errorf("queued call %+v", c)
	}
	if !slices.Equal(queues, []QueueDepth{{Queue: "user 1", Kind: "user", ID: alice, Waiting: 1}}) {
		t.Errorf("queues %+v", queues)
	}
	if got := m.e.LiveCalls(); len(got) != 0 {
		t.Errorf("calls live after the call ended: %+v", got)
	}
	if got := m.e.Queues(); len(got) != 0 {
		t.Errorf("queues after the call ended: %+v", got)
	}
	select {
	case <-changed:
	default:
		t.Error("watchers were not told of any change")
	}
}

package routing

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"
)

// Two nodes write one history. Node a dies with a call in progress: b
// keeps only its own calls alive, and closes a's once it has been silent
// long enough, once however many nodes try; a's restart finds nothing.
func TestCloseLostClosesADeadNodesCallsOnce(t *testing.T) {
	fx := newEngineFixture(t)
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ha := NewHistory(fx.d.db, nil, OnNode("a"))
	hb := NewHistory(fx.d.db, nil, OnNode("b"))
	hc := NewHistory(fx.d.db, nil, OnNode("c"))
	start := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	answered := start.Add(2 * time.Second)
	onA := CallRecord{CallID: "a@test", Direction: DirectionInbound, Type: CallIncoming, From: "+15551230000",
		To: engineNumber, Number: engineNumber, StartedAt: start}
	if err := ha.Begin(ctx, &onA); err != nil {
		t.Fatal(err)
	}
	onA.AnsweredAt = &answered
	if err := ha.Update(ctx, onA); err != nil {
		t.Fatal(err)
	}
	if err := ha.Flush(ctx); err != nil { // before a's keep-alive, as 10 s later it would be
		t.Fatal(err)
	}
	onB := CallRecord{CallID: "b@test", Direction: DirectionInbound, Type: CallIncoming, From: "+15551230001",
		To: engineNumber, Number: engineNumber, StartedAt: start}
	if err := hb.Begin(ctx, &onB); err != nil {
		t.Fatal(err)
	}
	if err := ha.KeepAlive(ctx, start.Add(20*time.Second)); err != nil { // a's last beat
		t.Fatal(err)
	}
	if err := hb.KeepAlive(ctx, start.Add(90*time.Second)); err != nil {
		t.Fatal(err)
	}
	eb := NewEngine(fx.d, everyone(), hb, log, time.Now)
	ec := NewEngine(fx.d, everyone(), hc, log, time.Now)
	if n, err := eb.CloseLost(ctx, start.Add(10*time.Second), nil); err != nil || n != 0 {
		t.Fatalf("closed %d (%v) of a node still alive", n, err)
	}
	cutoff := start.Add(60 * time.Second)
	// a's calls are late, but its heartbeat says it lives: they are kept.
	if n, err := eb.CloseLost(ctx, cutoff, []string{"a", "b"}); err != nil || n != 0 {
		t.Fatalf("closed %d (%v) of a node slow to mark its calls but beating", n, err)
	}
	nb, err := eb.CloseLost(ctx, cutoff, []string{"b", "c"})
	if err != nil {
		t.Fatal(err)
	}
	nc, err := ec.CloseLost(ctx, cutoff, []string{"b", "c"})
	if err != nil || nb+nc != 1 {
		t.Fatalf("closed %d + %d (%v), want 1 in all", nb, nc, err)
	}
	recs, total, _ := hb.List(ctx, CallFilter{})
	if total != 1 || recs[0].ID != onA.ID || recs[0].HangupCause != CauseNodeLost || recs[0].Node != "a" ||
		!recs[0].EndedAt.Equal(start.Add(20*time.Second)) || recs[0].DurationSeconds != 18 {
		t.Fatalf("history %+v", recs)
	}
	if open, _ := hb.InProgress(ctx); len(open) != 1 || open[0].ID != onB.ID {
		t.Fatalf("b's own call in progress: %+v", open)
	}
	ea := NewEngine(fx.d, everyone(), ha, log, time.Now)
	if n, err := ea.CloseInterrupted(ctx); err != nil || n != 0 {
		t.Fatalf("a's restart closed %d (%v): b's call is not a's", n, err)
	}
}

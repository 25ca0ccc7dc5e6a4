package cluster

import (
	"context"
	"errors"
	"testing"
	"time"

	"pbx/money"
)

// A node counts what the other live nodes' calls hold, not its own nor a
// dead node's; a node taken for dead publishes again once it is back.
func TestReservations(t *testing.T) {
	ctx := context.Background()
	db := testDB(t)
	c := &clock{now: time.Now()}
	a, b, d := testNode(t, db, "a", c), testNode(t, db, "b", c), testNode(t, db, "d", c)
	for _, h := range []struct {
		n     *Node
		total money.Credits
	}{{a, 10_000}, {b, 20_000}, {d, 40_000}} {
		if err := h.n.Reservations().Hold(ctx, db, h.total); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := a.Reservations().Reserved(ctx, db); err != nil || got != 60_000 {
		t.Fatalf("a sees the others hold %s (%v), want 0.06", got, err)
	}
	// d stops beating; a and b go on.
	c.add(31 * time.Second)
	for _, n := range []*Node{a, b} {
		if err := n.beat(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := a.Reservations().Reserved(ctx, db); got != 20_000 {
		t.Fatalf("a sees the others hold %s with d dead, want 0.02", got)
	}
	// b is taken for dead and removed while it still has calls: it cannot
	// publish until it is back, and then its row holds what it last
	// published.
	if err := db.Exec("DELETE FROM cluster_nodes WHERE name = 'b'").Error; err != nil {
		t.Fatal(err)
	}
	if err := b.Reservations().Hold(ctx, db, 30_000); !errors.Is(err, errNotJoined) {
		t.Fatalf("published with no row: %v", err)
	}
	if err := b.beat(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := a.Reservations().Reserved(ctx, db); got != 20_000 {
		t.Fatalf("a sees the others hold %s once b is back, want 0.02", got)
	}
}

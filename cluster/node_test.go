package cluster

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"pbx/store"
)

func testDB(t *testing.T) *gorm.DB {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := store.Open(filepath.Join(t.TempDir(), "pbx.db"), log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close(db) })
	for range 2 { // migrating again is harmless
		if err := store.MigrateVersioned(context.Background(), db, "cluster", Migrations(), log); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func testNode(t *testing.T, db *gorm.DB, name string, c *clock) *Node {
	t.Helper()
	n := New(db, Config{Name: name, DeadAfter: 30 * time.Second}, slog.New(slog.NewTextHandler(io.Discard, nil)), c.Now)
	if err := n.Join(context.Background()); err != nil {
		t.Fatal(err)
	}
	return n
}

// Nodes asking at once for a secret all get the same one, made once.
func TestSecretIsMadeOnce(t *testing.T) {
	db := testDB(t)
	c := &clock{now: time.Now()}
	keys := make([][]byte, 8)
	var wg sync.WaitGroup
	for i := range keys {
		n := testNode(t, db, string(rune('a'+i)), c)
		wg.Add(1)
		go func() {
			defer wg.Done()
			k, err := n.Secret(context.Background(), "sip_nonce_key")
			if err != nil {
				t.Error(err)
			}
			keys[i] = k
		}()
	}
	wg.Wait()
	for _, k := range keys[1:] {
		if len(k) != 32 || !bytes.Equal(k, keys[0]) {
			t.Fatalf("nodes disagree on the key: %x vs %x", k, keys[0])
		}
	}
}

// fakeLocal is a node's own agents.
type fakeLocal struct {
	mu     sync.Mutex
	onCall map[uint]bool
}

func (f *fakeLocal) Registered(uint) bool                      { return true }
func (f *fakeLocal) Roster(m []uint) ([]uint, <-chan struct{}) { return m, nil }
func (f *fakeLocal) NextFree(users []uint, from int) int {
	for i := max(from, 0); i < len(users); i++ {
		if !f.OnCall(users[i]) {
			return i
		}
	}
	return -1
}
func (f *fakeLocal) OnCall(u uint) bool    { f.mu.Lock(); defer f.mu.Unlock(); return f.onCall[u] }
func (f *fakeLocal) set(u uint, busy bool) { f.mu.Lock(); f.onCall[u] = busy; f.mu.Unlock() }
func newLocal() *fakeLocal                 { return &fakeLocal{onCall: map[uint]bool{}} }

// An agent on a call on node a is busy for node b until the call ends,
// or until a dies.
func TestBusyAcrossNodes(t *testing.T) {
	ctx := context.Background()
	db := testDB(t)
	c := &clock{now: time.Now()}
	a, b := testNode(t, db, "a", c), testNode(t, db, "b", c)
	localA, localB := newLocal(), newLocal()
	onB := b.Presence(localB)

	localA.set(7, true)
	a.UserChanged(7, true)
	if err := a.writeBusy(ctx, localA); err != nil {
		t.Fatal(err)
	}
	if !onB.OnCall(7) {
		t.Fatal("agent 7, on a call on node a, is free for node b")
	}
	localB.set(5, true)
	if got := onB.NextFree([]uint{5, 7, 8}, 0); got != 2 {
		t.Fatalf("b's next free of 5 (busy on b), 7 (busy on a), 8: index %d, want 2", got)
	}
	if onB.OnCall(8) || a.Presence(localA).OnCall(8) {
		t.Fatal("agent 8 is busy nowhere")
	}
	localA.set(7, false)
	a.UserChanged(7, false)
	if err := a.writeBusy(ctx, localA); err != nil {
		t.Fatal(err)
	}
	if onB.OnCall(7) {
		t.Fatal("agent 7 still busy for b after the call on a ended")
	}

	localA.set(7, true)
	a.UserChanged(7, true)
	if err := a.writeBusy(ctx, localA); err != nil {
		t.Fatal(err)
	}
	c.add(31 * time.Second) // a stops beating; b beats on
	if err := b.beat(ctx); err != nil {
		t.Fatal(err)
	}
	if onB.OnCall(7) {
		t.Fatal("an agent of a dead node is busy")
	}
	dead, err := b.Dead(ctx)
	if err != nil || len(dead) != 1 || dead[0] != "a" {
		t.Fatalf("dead nodes: %v (%v)", dead, err)
	}
	// a comes back: its beat finds its row gone and joins again.
	if err := a.beat(ctx); err != nil {
		t.Fatal(err)
	}
	var n int64
	db.Raw("SELECT count(*) FROM cluster_nodes").Scan(&n)
	if n != 2 {
		t.Fatalf("%d nodes after a came back", n)
	}
}

// Run writes busy agents as they change and stops when told, leaving no
// agent busy and no goroutine behind.
func TestRunWritesAndLeaves(t *testing.T) {
	db := testDB(t)
	c := &clock{now: time.Now()}
	a, b := testNode(t, db, "a", c), testNode(t, db, "b", c)
	local := newLocal()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- a.Run(ctx, local, Hooks{}) }()
	local.set(3, true)
	a.UserChanged(3, true)
	onB := b.Presence(newLocal())
	deadline := time.Now().Add(5 * time.Second)
	for !onB.OnCall(3) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if !onB.OnCall(3) {
		t.Fatal("Run did not write the busy agent")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if onB.OnCall(3) {
		t.Fatal("the agent of a node that left is busy")
	}
}

// A node is alive while it beats, whatever its calls say.
func TestAlive(t *testing.T) {
	ctx := context.Background()
	db := testDB(t)
	c := &clock{now: time.Now()}
	a, b := testNode(t, db, "a", c), testNode(t, db, "b", c)
	c.add(20 * time.Second)
	if err := b.beat(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := b.Alive(ctx, c.Now().Add(-10*time.Second))
	if err != nil || len(got) != 1 || got[0] != "b" {
		t.Fatalf("alive: %v (%v), want [b]", got, err)
	}
	if err := a.beat(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := b.Alive(ctx, c.Now().Add(-10*time.Second)); len(got) != 2 {
		t.Fatalf("alive after a beat: %v", got)
	}
}

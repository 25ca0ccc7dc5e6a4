package sip

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"pbx/store"
)

// Two nodes on one database: a phone registered through node a (with the
// balancer's Path) is found by node b for a call, with its node and Path;
// unregistered through b, it is gone from both.
func TestSharedLocationAcrossNodes(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := store.Open(filepath.Join(t.TempDir(), "pbx.db"), log)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close(db)
	if err := store.Migrate(ctx, db, Models()...); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	clock := func() time.Time { return now }
	a := NewLocation(db, log, 10, clock, Shared("a", time.Second))
	b := NewLocation(db, log, 10, clock, Shared("b", time.Second))
	path := "<sip:127.0.15.1;lr;received=sip:127.0.0.1:5080>"
	if _, err := a.Apply(Update{AOR: "1001", UserID: 7, CallID: "x", CSeq: 1, Source: "127.0.15.1:5060", Path: path,
		Contacts: []ContactUpdate{{URI: "sip:1001@127.0.0.1:5080", Expires: 60}}}); err != nil {
		t.Fatal(err)
	}
	if err := a.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if b.HasUser(7) {
		t.Fatal("b knows the phone before reading the database")
	}
	changed := b.Changed()
	if err := b.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-changed:
	default:
		t.Error("a device another node registered does not wake b's watchers")
	}
	got := b.LookupUser(7)
	if len(got) != 1 || got[0].Node != "a" || got[0].Path != path || !b.HasUser(7) {
		t.Fatalf("b's view of user 7: %+v", got)
	}
	if all := b.All(); len(all) != 1 || all[0].Node != "a" {
		t.Fatalf("b lists %+v", all)
	}
	if err := a.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if got := a.LookupUser(7); len(got) != 1 {
		t.Fatalf("a holds its own phone once, got %+v", got)
	}

	// The phone registers again through b (a died, say): b holds it now,
	// and a, reading that, lets it go.
	now = now.Add(time.Second)
	if _, err := b.Apply(Update{AOR: "1001", UserID: 7, CallID: "x", CSeq: 2, Source: "127.0.15.1:5060", Path: path,
		Contacts: []ContactUpdate{{URI: "sip:1001@127.0.0.1:5080", Expires: 60}}}); err != nil {
		t.Fatal(err)
	}
	if err := b.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if got := a.LookupUser(7); len(got) != 1 || got[0].Node != "b" {
		t.Fatalf("a's view after the phone moved to b: %+v", got)
	}

	// The phone leaves through b (the balancer chose it this time).
	if _, err := b.Apply(Update{AOR: "1001", UserID: 7, CallID: "x", CSeq: 3,
		Contacts: []ContactUpdate{{URI: "sip:1001@127.0.0.1:5080", Expires: 0}}}); err != nil {
		t.Fatal(err)
	}
	if b.HasUser(7) {
		t.Fatal("b still has the phone that left through it")
	}
	if err := b.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	var rows int64
	db.Model(&Binding{}).Count(&rows)
	if rows != 0 {
		t.Fatalf("%d registration rows left", rows)
	}
}

// A node's stored expiry is the live one (no write-behind slack), else the
// other nodes would lose a phone that refreshes just before its expiry.
func TestSharedLocationWritesEveryRefresh(t *testing.T) {
	now := time.Now()
	l := NewLocation(nil, slog.New(slog.NewTextHandler(io.Discard, nil)), 10, func() time.Time { return now }, Shared("a", time.Second))
	up := Update{AOR: "1001", UserID: 7, CallID: "x", CSeq: 1, Contacts: []ContactUpdate{{URI: "sip:1001@10.0.0.2", Expires: 60}}}
	l.Apply(up)
	l.dirty = map[string]string{}
	now = now.Add(55 * time.Second)
	up.CSeq = 2
	l.Apply(up)
	if len(l.dirty) != 1 {
		t.Fatal("a refresh was not written for the other nodes")
	}
}

func TestRouteSetFromPath(t *testing.T) {
	routes, err := routeSet(`<sip:127.0.15.1;lr;received=sip:127.0.0.1:5080>, <sip:10.0.0.1:5070;lr>`)
	if err != nil || len(routes) != 2 {
		t.Fatalf("%v %v", routes, err)
	}
	if routes[0].Address.Host != "127.0.15.1" || routes[1].Address.Port != 5070 {
		t.Fatalf("routes: %s, %s", routes[0].Value(), routes[1].Value())
	}
}

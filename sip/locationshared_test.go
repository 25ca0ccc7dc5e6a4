package sip

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"gorm.io/gorm"

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
	var live int64
	db.Model(&Binding{}).Where("expires > ?", now).Count(&live)
	if live != 0 {
		t.Fatalf("%d live registration rows left", live)
	}
	if err := a.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if a.HasUser(7) {
		t.Fatal("a still has the phone that left through b")
	}
}

// twoNodes returns the locations of nodes a and b on one database, on the
// clock *now.
func twoNodes(t testing.TB, now *time.Time) (db *gorm.DB, a, b *Location) {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := store.Open(filepath.Join(t.TempDir(), "pbx.db"), log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close(db) })
	if err := store.Migrate(context.Background(), db, Models()...); err != nil {
		t.Fatal(err)
	}
	clock := func() time.Time { return *now }
	return db, NewLocation(db, log, 10, clock, Shared("a", time.Second)), NewLocation(db, log, 10, clock, Shared("b", time.Second))
}

// After its first read a node reads only the rows changed since: it
// learns of a new phone, of a phone that left (a tombstone) and of one
// that expired, while a row nobody changed is not read again until the
// next full read.
func TestSharedLocationReadsChangesOnly(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	db, a, b := twoNodes(t, &now)
	register := func(aor string, user uint, cseq uint32, expires int) {
		t.Helper()
		if _, err := a.Apply(Update{AOR: aor, UserID: user, CallID: "c" + aor, CSeq: cseq, Source: "127.0.15.1:5060",
			Contacts: []ContactUpdate{{URI: "sip:" + aor + "@10.0.0.2", Expires: expires}}}); err != nil {
			t.Fatal(err)
		}
		if err := a.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	refresh := func() {
		t.Helper()
		if err := b.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
	}
	register("1001", 1, 1, 600)
	register("1002", 2, 1, 30)
	refresh() // the first read: everything
	if !b.HasUser(1) || !b.HasUser(2) {
		t.Fatal("b's first read missed a phone")
	}

	now = now.Add(10 * time.Second)
	refresh() // nothing changed

	// A row b read already, changed behind the nodes' backs with its
	// Updated left as it was: a read of changes does not see it.
	if err := db.Model(&Binding{}).Where("aor = ?", "1001").Update("contact", "sip:1001@10.0.0.9").Error; err != nil {
		t.Fatal(err)
	}
	now = now.Add(10 * time.Second)
	register("1003", 3, 1, 600)
	changed := b.Changed()
	refresh()
	if !b.HasUser(3) {
		t.Fatal("a phone registered since the last read is not seen")
	}
	select {
	case <-changed:
	default:
		t.Error("a new phone does not wake b's watchers")
	}
	if got := b.LookupUser(1); len(got) != 1 || got[0].Contact != "sip:1001@10.0.0.2" {
		t.Fatalf("an unchanged row was read again: %+v", got)
	}

	// 1003 leaves through a; 1002's registration runs out.
	now = now.Add(15 * time.Second)
	register("1003", 3, 2, 0)
	changed = b.Changed()
	refresh()
	if b.HasUser(3) {
		t.Fatal("b still has the phone that unregistered through a")
	}
	if b.HasUser(2) {
		t.Fatal("b still has the phone whose registration expired")
	}
	select {
	case <-changed:
	default:
		t.Error("phones that left do not wake b's watchers")
	}

	// The full read (every fullRead) catches what the reads of changes
	// could not.
	now = now.Add(fullRead)
	register("1001", 1, 2, 600) // keeps 1001 live; its row is a's again
	if err := db.Model(&Binding{}).Where("aor = ?", "1001").Updates(map[string]any{"contact": "sip:1001@10.0.0.9", "updated": now.Add(-time.Hour)}).Error; err != nil {
		t.Fatal(err)
	}
	refresh()
	if got := b.LookupUser(1); len(got) != 1 || got[0].Contact != "sip:1001@10.0.0.9" {
		t.Fatalf("the full read did not catch up: %+v", got)
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

// In node mode a REGISTER that brings a device is answered only once its
// row is stored, so the other nodes still reach the phone if this node dies
// right after the 200; a plain refresh is written behind.
func TestSharedLocationStoresNewDevicesBeforeAnswering(t *testing.T) {
	ctx := context.Background()
	now := time.Now().Truncate(time.Second)
	db, a, _ := twoNodes(t, &now)
	stored := func() (b Binding) {
		t.Helper()
		if err := db.Where("aor = ?", "1001").Take(&b).Error; err != nil {
			t.Fatalf("no stored row for 1001: %v", err)
		}
		return b
	}
	up := Update{AOR: "1001", UserID: 1, CallID: "c", CSeq: 1, Source: "127.0.15.1:5060",
		Contacts: []ContactUpdate{{URI: "sip:1001@10.0.0.2", Expires: 600}}}
	if _, err := a.Register(ctx, up); err != nil {
		t.Fatal(err)
	}
	if got := stored(); !got.Expires.Equal(now.Add(600 * time.Second)) {
		t.Fatalf("stored expiry %v", got.Expires)
	}

	now = now.Add(10 * time.Second)
	up.CSeq = 2
	if _, err := a.Register(ctx, up); err != nil {
		t.Fatal(err)
	}
	if got := stored(); got.Expires.Equal(now.Add(600 * time.Second)) {
		t.Fatal("a plain refresh waited for its write")
	}
	if err := a.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got := stored(); !got.Expires.Equal(now.Add(600 * time.Second)) {
		t.Fatalf("the refresh was not written behind: %v", got.Expires)
	}

	// The phone moves (a new contact): stored before the answer again.
	now = now.Add(10 * time.Second)
	up.CSeq = 3
	up.Contacts = []ContactUpdate{{URI: "sip:1001@10.0.0.2", Expires: 0}, {URI: "sip:1001@10.0.0.3", Expires: 600}}
	if _, err := a.Register(ctx, up); err != nil {
		t.Fatal(err)
	}
	var rows []Binding
	if err := db.Where("aor = ? AND expires > ?", "1001", now).Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Contact != "sip:1001@10.0.0.3" {
		t.Fatalf("stored after the move: %+v", rows)
	}
}

// A REGISTER whose device could not be stored is not answered as stored,
// nor is its retransmission, which would otherwise look like a refresh of
// a device already known.
func TestSharedLocationRetransmissionWaitsForTheStore(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	db, a, _ := twoNodes(t, &now)
	if err := db.Migrator().DropTable(&Binding{}); err != nil { // the database fails
		t.Fatal(err)
	}
	up := Update{AOR: "1001", UserID: 1, CallID: "c", CSeq: 1, Source: "127.0.15.1:5060",
		Contacts: []ContactUpdate{{URI: "sip:1001@10.0.0.2", Expires: 600}}}
	if _, err := a.Register(ctx, up); err == nil {
		t.Fatal("a device that could not be stored was registered")
	}
	if _, err := a.Register(ctx, up); err == nil {
		t.Fatal("the retransmission of a REGISTER not stored was answered as stored")
	}
	if err := store.Migrate(ctx, db, Models()...); err != nil { // it is back
		t.Fatal(err)
	}
	if _, err := a.Register(ctx, up); err != nil {
		t.Fatal(err)
	}
	var n int64
	db.Model(&Binding{}).Where("aor = ?", "1001").Count(&n)
	if n != 1 {
		t.Fatalf("%d rows stored", n)
	}
	// Stored now: a refresh no longer waits.
	up.CSeq = 2
	if _, wait, _ := a.apply(up); wait {
		t.Fatal("a refresh of a stored device waits for a write")
	}
}

// BenchmarkSharedLocationRefresh is one node's read of the others'
// registrations, 20,000 phones registered through another node of which
// 10 refreshed since the last read: a full read of every row, and a read
// of the changes.
func BenchmarkSharedLocationRefresh(b *testing.B) {
	const phones, refreshed = 20000, 10
	for _, full := range []bool{true, false} {
		name := "changes"
		if full {
			name = "full"
		}
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			now := time.Now()
			_, a, reader := twoNodes(b, &now)
			register := func(i int, cseq uint32) {
				aor := strconv.Itoa(100000 + i)
				if _, err := a.Apply(Update{AOR: aor, UserID: uint(i + 1), CallID: "c" + aor, CSeq: cseq, Source: "127.0.15.1:5060",
					Contacts: []ContactUpdate{{URI: "sip:" + aor + "@10.0.0.2", Expires: 3600}}}); err != nil {
					b.Fatal(err)
				}
			}
			for i := range phones {
				register(i, 1)
			}
			if err := a.Flush(ctx); err != nil {
				b.Fatal(err)
			}
			for range 2 { // the first read, then one past its overlap
				if err := reader.Refresh(ctx); err != nil {
					b.Fatal(err)
				}
				now = now.Add(readOverlap + time.Second)
			}
			b.ResetTimer()
			for n := range b.N {
				b.StopTimer()
				now = now.Add(time.Second)
				for i := range refreshed {
					register((n*refreshed+i)%phones, uint32(n+2))
				}
				if err := a.Flush(ctx); err != nil {
					b.Fatal(err)
				}
				if full {
					reader.shared.readAt = time.Time{}
				} else {
					reader.shared.fullAt = now // no safety-net read in this loop
				}
				b.StartTimer()
				if err := reader.Refresh(ctx); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			if got := len(reader.All()); got != phones {
				b.Fatalf("the reader sees %d phones", got)
			}
		})
	}
}

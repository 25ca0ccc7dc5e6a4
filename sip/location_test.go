package sip

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"pbx/store"
)

func newTestLocation(t *testing.T, max int, now *time.Time) *Location {
	t.Helper()
	return NewLocation(nil, slog.New(slog.NewTextHandler(io.Discard, nil)), max, func() time.Time { return *now })
}

func TestLocationRules(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	l := newTestLocation(t, 2, &now)
	up := func(cseq uint32, callID string, contacts ...ContactUpdate) ([]Binding, error) {
		return l.Apply(Update{AOR: "1001", UserID: 1, CallID: callID, CSeq: cseq, Contacts: contacts, Source: "1.2.3.4:5060", Transport: "udp"})
	}

	if _, err := up(5, "desk", ContactUpdate{URI: "sip:1001@10.0.0.2", Expires: 60}); err != nil {
		t.Fatal(err)
	}
	got, err := up(1, "soft", ContactUpdate{URI: "sip:1001@10.0.0.3", Expires: 120})
	if err != nil || len(got) != 2 {
		t.Fatalf("two devices: got %d bindings, %v", len(got), err)
	}

	t.Run("out of order is refused and changes nothing", func(t *testing.T) {
		_, err := up(4, "desk", ContactUpdate{URI: "sip:1001@10.0.0.2", Expires: 0})
		if !errors.Is(err, ErrOutOfOrder) {
			t.Fatalf("err = %v, want ErrOutOfOrder", err)
		}
		if n := len(l.Lookup("1001")); n != 2 {
			t.Fatalf("%d bindings after refused update, want 2", n)
		}
	})
	t.Run("refresh keeps one binding per contact", func(t *testing.T) {
		now = now.Add(time.Second)
		if _, err := up(5, "desk", ContactUpdate{URI: "sip:1001@10.0.0.2", Expires: 300}); err != nil {
			t.Fatalf("a retransmission (same CSeq) is refused: %v", err)
		}
		got, _ := up(6, "desk", ContactUpdate{URI: "sip:1001@10.0.0.2", Expires: 300})
		if len(got) != 2 {
			t.Fatalf("%d bindings, want 2", len(got))
		}
	})
	t.Run("a third device replaces the least recent", func(t *testing.T) {
		now = now.Add(time.Second)
		got, _ := up(1, "phone3", ContactUpdate{URI: "sip:1001@10.0.0.4", Expires: 60})
		if len(got) != 2 {
			t.Fatalf("%d bindings, want max 2", len(got))
		}
		for _, b := range got {
			if b.Contact == "sip:1001@10.0.0.3" {
				t.Fatal("the least recently registered device was kept")
			}
		}
	})
	t.Run("expiry", func(t *testing.T) {
		now = now.Add(61 * time.Second)
		got := l.Lookup("1001")
		if len(got) != 1 || got[0].Contact != "sip:1001@10.0.0.2" {
			t.Fatalf("after 61s: %+v", got)
		}
	})
	t.Run("expires 0 removes", func(t *testing.T) {
		if _, err := up(7, "desk", ContactUpdate{URI: "sip:1001@10.0.0.2", Expires: 0}); err != nil {
			t.Fatal(err)
		}
		if n := l.Count(); n != 0 {
			t.Fatalf("%d bindings left", n)
		}
	})
	t.Run("wildcard removes all", func(t *testing.T) {
		up(1, "a", ContactUpdate{URI: "sip:1001@10.0.0.5", Expires: 60})
		up(1, "b", ContactUpdate{URI: "sip:1001@10.0.0.6", Expires: 60})
		if _, err := l.Apply(Update{AOR: "1001", Wildcard: true, CallID: "c", CSeq: 1}); err != nil {
			t.Fatal(err)
		}
		if n := l.Count(); n != 0 {
			t.Fatalf("%d bindings left after Contact: *", n)
		}
	})
	t.Run("instance id identifies a device across contact changes", func(t *testing.T) {
		up(1, "x", ContactUpdate{URI: "sip:1001@10.0.0.7", Instance: "urn:uuid:1", Expires: 60})
		got, _ := up(1, "y", ContactUpdate{URI: "sip:1001@10.0.0.8", Instance: "urn:uuid:1", Expires: 60})
		if len(got) != 1 || got[0].Contact != "sip:1001@10.0.0.8" {
			t.Fatalf("got %+v, want the new contact only", got)
		}
	})
}

func TestLocationPersists(t *testing.T) {
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
	l := NewLocation(db, log, 10, clock)
	l.Apply(Update{AOR: "1001", UserID: 1, CallID: "a", CSeq: 1, Contacts: []ContactUpdate{{URI: "sip:1001@10.0.0.2", Expires: 60}}})
	l.Apply(Update{AOR: "1002", UserID: 2, CallID: "b", CSeq: 1, Contacts: []ContactUpdate{{URI: "sip:1002@10.0.0.3", Expires: 60}}})
	l.Apply(Update{AOR: "1002", UserID: 2, CallID: "b", CSeq: 2, Contacts: []ContactUpdate{{URI: "sip:1002@10.0.0.3", Expires: 0}}})

	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { l.Run(runCtx); close(done) }()
	stop() // Run must still write what is pending before it returns
	<-done

	restarted := NewLocation(db, log, 10, clock)
	n, err := restarted.Load(ctx)
	if err != nil || n != 1 {
		t.Fatalf("restored %d bindings (%v), want 1", n, err)
	}
	if got := restarted.Lookup("1001"); len(got) != 1 || got[0].Contact != "sip:1001@10.0.0.2" || got[0].UserID != 1 {
		t.Fatalf("restored %+v", got)
	}
	now = now.Add(2 * time.Minute)
	later := NewLocation(db, log, 10, clock)
	if n, _ := later.Load(ctx); n != 0 {
		t.Fatalf("restored %d expired bindings", n)
	}
}

func TestRefreshWritesOnlyWhatMatters(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	l := newTestLocation(t, 10, &now)
	reg := func(cseq uint32, source string) {
		l.Apply(Update{AOR: "1001", CallID: "c", CSeq: cseq, Source: source,
			Contacts: []ContactUpdate{{URI: "sip:1001@10.0.0.2", Expires: 600}}})
	}
	pending := func() int { l.mu.Lock(); defer l.mu.Unlock(); n := len(l.dirty); clear(l.dirty); return n }

	reg(1, "1.2.3.4:5060")
	if pending() != 1 {
		t.Fatal("a new binding is not written")
	}
	now = now.Add(5 * time.Second)
	reg(2, "1.2.3.4:5060")
	if n := pending(); n != 0 {
		t.Fatalf("a refresh 5 s later is written (%d); the stored expiry is within the slack", n)
	}
	now = now.Add(2 * storeSlack)
	reg(3, "1.2.3.4:5060")
	if pending() != 1 {
		t.Fatal("a refresh that moves the expiry past the slack is not written")
	}
	reg(4, "5.6.7.8:5060")
	if pending() != 1 {
		t.Fatal("a device that moved is not written")
	}
}

// TestLocationChanged: watchers hear of devices coming, going and expiring,
// not of refreshes.
func TestLocationChanged(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	l := newTestLocation(t, 2, &now)
	up := func(cseq uint32, expires int) {
		t.Helper()
		if _, err := l.Apply(Update{AOR: "1001", UserID: 1, CallID: "desk", CSeq: cseq, Source: "1.2.3.4:5060", Transport: "udp",
			Contacts: []ContactUpdate{{URI: "sip:1001@10.0.0.2", Expires: expires}}}); err != nil {
			t.Fatal(err)
		}
	}
	closed := func(c <-chan struct{}) bool {
		select {
		case <-c:
			return true
		default:
			return false
		}
	}
	for _, step := range []struct {
		name string
		do   func()
		want bool
	}{
		{"a device registers", func() { up(1, 60) }, true},
		{"it refreshes", func() { now = now.Add(10 * time.Second); up(2, 60) }, false},
		{"it unregisters", func() { up(3, 0) }, true},
		{"it registers again", func() { up(4, 60) }, true},
		{"nothing happens", func() {}, false},
		{"it expires", func() { now = now.Add(61 * time.Second); l.All() }, true},
	} {
		c := l.Changed()
		step.do()
		if got := closed(c); got != step.want {
			t.Errorf("%s: changed %v, want %v", step.name, got, step.want)
		}
	}
}

func TestRosterIsLoginOrderAndSaysWhenItChanges(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	l := newTestLocation(t, 2, &now)
	register := func(user uint, aor string, expires int) {
		t.Helper()
		if _, err := l.Apply(Update{AOR: aor, UserID: user, CallID: "c-" + aor, CSeq: 1, Source: "1.2.3.4:5060", Transport: "udp",
			Contacts: []ContactUpdate{{URI: "sip:" + aor + "@10.0.0.2", Expires: expires}}}); err != nil {
			t.Fatal(err)
		}
	}
	register(3, "1003", 60) // logged in first
	now = now.Add(time.Second)
	register(1, "1001", 60)
	register(2, "1002", 30) // same second as 1001: the members' order decides
	now = now.Add(time.Second)

	got, changed := l.Roster([]uint{2, 1, 3, 4})
	if want := []uint{3, 2, 1}; !slices.Equal(got, want) {
		t.Fatalf("roster = %v, want %v (4 is not registered)", got, want)
	}
	register(1, "1001", 60) // a refresh changes nothing a call needs
	select {
	case <-changed:
		t.Fatal("a refresh closed the roster's channel")
	default:
	}
	now = now.Add(40 * time.Second) // 1002's binding expires
	if got, _ := l.Roster([]uint{2, 1, 3}); !slices.Equal(got, []uint{3, 1}) {
		t.Fatalf("after 1002 expired: roster = %v, want [3 1]", got)
	}
	select {
	case <-changed:
	default:
		t.Fatal("an expired device left the roster's channel open")
	}
}

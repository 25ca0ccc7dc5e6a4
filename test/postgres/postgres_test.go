// Package postgres runs the storage paths against a real PostgreSQL server,
// which test/postgres/run.sh starts and names in PBX_TEST_POSTGRES.
package postgres

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"slices"
	"testing"
	"time"

	"gorm.io/gorm"

	"pbx/invalid"
	"pbx/ivr"
	"pbx/routing"
	"pbx/sip"
	"pbx/store"
	"pbx/web"
)

func open(t *testing.T) *gorm.DB {
	t.Helper()
	dsn := os.Getenv("PBX_TEST_POSTGRES")
	if dsn == "" {
		t.Fatal("PBX_TEST_POSTGRES is not set: run test/postgres/run.sh, which starts a PostgreSQL server for these tests")
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := store.Open(dsn, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close(db) })
	models := slices.Concat(routing.Models(), ivr.Models(), sip.Models(), web.Models())
	// Start each test from empty tables; migrating twice must be harmless.
	if err := db.Migrator().DropTable(models...); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := store.Migrate(context.Background(), db, models...); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

func ptr[T any](v T) *T { return &v }

func TestDirectoryOnPostgres(t *testing.T) {
	ctx := context.Background()
	d := routing.NewDirectory(open(t), "pbx")
	if _, err := d.CreateNumber(ctx, routing.NumberInput{E164: ptr("+15550001111"), Type: ptr(routing.NumberLocal), Country: ptr("US"), Region: ptr("Test")}); err != nil {
		t.Fatal(err)
	}
	a, err := d.CreateUser(ctx, routing.UserInput{Name: ptr("Alice"), Extension: ptr("1001"), SIPPassword: ptr("alice-pass"),
		CallerIDs: ptr([]string{"+15550001111"})})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := d.CreateUser(ctx, routing.UserInput{Name: ptr("Bob"), Extension: ptr("1002"), SIPPassword: ptr("bob-pass-1")})
	_, err = d.CreateUser(ctx, routing.UserInput{Name: ptr("Eve"), Extension: ptr("1001"), SIPUsername: ptr("eve"), SIPPassword: ptr("eve-pass-1")})
	var inv *invalid.Error
	if !errors.As(err, &inv) || inv.Fields[0].Field != "extension" {
		t.Fatalf("duplicate extension on PostgreSQL: %v", err)
	}
	g, err := d.CreateGroup(ctx, routing.GroupInput{Name: ptr("Sales"), MemberIDs: ptr([]uint{b.ID, a.ID})})
	if err != nil || len(g.MemberIDs) != 2 || g.MemberIDs[0] != b.ID {
		t.Fatalf("group on PostgreSQL: %+v %v", g, err)
	}
	got, err := d.UserBySIPUsername(ctx, "1001")
	if err != nil || got.CallerIDs[0] != "+15550001111" || len(got.HA1MD5) != 32 {
		t.Fatalf("lookup on PostgreSQL: %+v %v", got, err)
	}
}

func TestRegistrationsSurviveRestartOnPostgres(t *testing.T) {
	ctx := context.Background()
	db := open(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	l := sip.NewLocation(db, log, 10, time.Now)
	for i, contact := range []string{"sip:1001@10.0.0.2", "sip:1001@10.0.0.3"} {
		if _, err := l.Apply(sip.Update{AOR: "1001", UserID: 1, CallID: "c", CSeq: uint32(i + 1), Source: "10.0.0.2:5060", Transport: "udp",
			Contacts: []sip.ContactUpdate{{URI: contact, Expires: 600}}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	l.Apply(sip.Update{AOR: "1001", UserID: 1, CallID: "c", CSeq: 3, Contacts: []sip.ContactUpdate{{URI: "sip:1001@10.0.0.2", Expires: 0}}})
	if err := l.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	again := sip.NewLocation(db, log, 10, time.Now)
	if n, err := again.Load(ctx); err != nil || n != 1 {
		t.Fatalf("restored %d bindings (%v), want 1", n, err)
	}
	if got := again.Lookup("1001"); got[0].Contact != "sip:1001@10.0.0.3" {
		t.Fatalf("restored %+v", got)
	}
}

// Two nodes on PostgreSQL: a phone registered through a is found by b's
// next read, which after the first one reads only what changed; the phone
// unregistering through a leaves a tombstone b reads as its going.
func TestSharedRegistrationsOnPostgres(t *testing.T) {
	ctx := context.Background()
	db := open(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a := sip.NewLocation(db, log, 10, time.Now, sip.Shared("a", time.Second))
	b := sip.NewLocation(db, log, 10, time.Now, sip.Shared("b", time.Second))
	if err := b.Refresh(ctx); err != nil { // the first, full read: nothing yet
		t.Fatal(err)
	}
	apply := func(cseq uint32, expires int) {
		t.Helper()
		if _, err := a.Apply(sip.Update{AOR: "1001", UserID: 1, CallID: "c", CSeq: cseq, Source: "127.0.15.1:5060", Transport: "udp",
			Path:     "<sip:127.0.15.1;lr;received=sip:10.0.0.2:5060>",
			Contacts: []sip.ContactUpdate{{URI: "sip:1001@10.0.0.2", Expires: expires}}}); err != nil {
			t.Fatal(err)
		}
		if err := a.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if err := b.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
	}
	apply(1, 600)
	if got := b.LookupUser(1); len(got) != 1 || got[0].Node != "a" {
		t.Fatalf("b's view after the phone registered through a: %+v", got)
	}
	apply(2, 0)
	if b.HasUser(1) {
		t.Fatal("b still has the phone that unregistered through a")
	}
}

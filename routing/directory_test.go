package routing

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"testing"

	"pbx/invalid"
	"pbx/ivr"
	"pbx/store"
)

func testDirectory(t testing.TB) *Directory {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "pbx.db"), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close(db) })
	if err := store.Migrate(context.Background(), db, append(Models(), ivr.Models()...)...); err != nil {
		t.Fatal(err)
	}
	return NewDirectory(db, "pbx")
}

func ptr[T any](v T) *T { return &v }

func fields(err error) []string {
	var inv *invalid.Error
	if !errors.As(err, &inv) {
		return nil
	}
	var out []string
	for _, f := range inv.Fields {
		out = append(out, f.Field)
	}
	return out
}

// ownNumbers adds numbers to the directory, so users may show them.
func ownNumbers(t *testing.T, d *Directory, e164s ...string) {
	t.Helper()
	for _, n := range e164s {
		if _, err := d.CreateNumber(context.Background(), NumberInput{E164: ptr(n), Type: ptr(NumberLocal), Country: ptr("US"), Region: ptr("Test")}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestUserLifecycle(t *testing.T) {
	ctx := context.Background()
	d := testDirectory(t)
	ownNumbers(t, d, "+15550001111")
	u, err := d.CreateUser(ctx, UserInput{Name: ptr("Alice"), Extension: ptr("1001"), SIPPassword: ptr("secret-pass"),
		CallerIDs: ptr([]string{"+15550001111"}), AllowOutbound: ptr(true)})
	if err != nil {
		t.Fatal(err)
	}
	if u.SIPUsername != "1001" || !u.AllowOutbound || u.HA1MD5 == "" || len(u.CallerIDs) != 1 {
		t.Fatalf("created %+v", u)
	}
	// The stored hash is what a phone's digest needs: MD5(user:realm:pass).
	if sum := md5.Sum([]byte("1001:pbx:secret-pass")); u.HA1MD5 != hex.EncodeToString(sum[:]) {
		t.Fatalf("HA1 %q", u.HA1MD5)
	}

	_, err = d.CreateUser(ctx, UserInput{Name: ptr("Mallory"), Extension: ptr("1001"), SIPUsername: ptr("mallory"), SIPPassword: ptr("secret-pass")})
	if got := fields(err); !slices.Equal(got, []string{"extension"}) {
		t.Fatalf("duplicate extension: fields %v (%v)", got, err)
	}

	u2, err := d.UpdateUser(ctx, u.ID, UserInput{Name: ptr("Alice Smith"), RecordOutbound: ptr(true)})
	if err != nil || u2.Name != "Alice Smith" || !u2.RecordOutbound || !u2.AllowOutbound || u2.HA1MD5 != u.HA1MD5 {
		t.Fatalf("update: %+v %v", u2, err)
	}
	if _, err := d.UpdateUser(ctx, u.ID, UserInput{SIPUsername: ptr("alice")}); !slices.Equal(fields(err), []string{"sip_password"}) {
		t.Fatalf("rename without password: %v", err)
	}
	if err := d.DeleteUser(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := d.User(ctx, u.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted user: %v", err)
	}
	if err := d.DeleteUser(ctx, u.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
}

func TestUserValidationListsEveryField(t *testing.T) {
	d := testDirectory(t)
	ownNumbers(t, d, "+15550001111")
	_, err := d.CreateUser(context.Background(), UserInput{
		Name: ptr(" "), Extension: ptr("12a"), SIPPassword: ptr("short"),
		CallerIDs: ptr([]string{"+15550001111", "5550001111", "+15550001111", "+15550009999"}), GroupIDs: ptr([]uint{99}),
	})
	want := []string{"name", "extension", "sip_password", "caller_ids[1]", "caller_ids[2]", "caller_ids[3]", "group_ids[0]"}
	if got := fields(err); !slices.Equal(got, want) {
		t.Fatalf("fields %v, want %v", got, want)
	}
	users, _ := d.ListUsers(context.Background(), UserFilter{})
	if len(users) != 0 {
		t.Fatal("a refused user was stored")
	}
}

func TestGroupsKeepMemberOrder(t *testing.T) {
	ctx := context.Background()
	d := testDirectory(t)
	mk := func(name, ext string) User {
		u, err := d.CreateUser(ctx, UserInput{Name: ptr(name), Extension: ptr(ext), SIPPassword: ptr("secret-pass")})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	a, b, c := mk("A", "101"), mk("B", "102"), mk("C", "103")
	g, err := d.CreateGroup(ctx, GroupInput{Name: ptr("Sales"), Description: ptr("Sells"), MemberIDs: ptr([]uint{c.ID, a.ID})})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(g.MemberIDs, []uint{c.ID, a.ID}) {
		t.Fatalf("members %v, want [%d %d]", g.MemberIDs, c.ID, a.ID)
	}
	// Joining through the user appends at the end.
	if _, err := d.UpdateUser(ctx, b.ID, UserInput{GroupIDs: ptr([]uint{g.ID})}); err != nil {
		t.Fatal(err)
	}
	g, _ = d.Group(ctx, g.ID)
	if !slices.Equal(g.MemberIDs, []uint{c.ID, a.ID, b.ID}) {
		t.Fatalf("members %v after b joined", g.MemberIDs)
	}
	inGroup, _ := d.ListUsers(ctx, UserFilter{GroupID: g.ID})
	if len(inGroup) != 3 {
		t.Fatalf("filter by group: %d users", len(inGroup))
	}
	if _, err := d.CreateGroup(ctx, GroupInput{Name: ptr("Sales")}); !slices.Equal(fields(err), []string{"name"}) {
		t.Fatalf("duplicate group name: %v", err)
	}
	if _, err := d.UpdateGroup(ctx, g.ID, GroupInput{MemberIDs: ptr([]uint{a.ID, a.ID})}); !slices.Equal(fields(err), []string{"member_ids[1]"}) {
		t.Fatalf("repeated member: %v", err)
	}
	d.DeleteUser(ctx, a.ID)
	g, _ = d.Group(ctx, g.ID)
	if !slices.Equal(g.MemberIDs, []uint{c.ID, b.ID}) {
		t.Fatalf("members %v after a was deleted", g.MemberIDs)
	}
	if err := d.DeleteGroup(ctx, g.ID); err != nil {
		t.Fatal(err)
	}
	bb, _ := d.User(ctx, b.ID)
	if len(bb.GroupIDs) != 0 {
		t.Fatalf("user still in deleted group: %v", bb.GroupIDs)
	}
}

func TestSIPLookupSeesChangesAtOnce(t *testing.T) {
	ctx := context.Background()
	d := testDirectory(t)
	if _, err := d.UserBySIPUsername(ctx, "1001"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown user: %v", err)
	}
	u, _ := d.CreateUser(ctx, UserInput{Name: ptr("A"), Extension: ptr("1001"), SIPPassword: ptr("first-pass")})
	got, err := d.UserBySIPUsername(ctx, "1001")
	if err != nil || got.HA1MD5 != u.HA1MD5 {
		t.Fatalf("a just-created user is not found (a cached miss?): %v", err)
	}
	d.UpdateUser(ctx, u.ID, UserInput{SIPPassword: ptr("second-pass")})
	if got2, _ := d.UserBySIPUsername(ctx, "1001"); got2.HA1MD5 == got.HA1MD5 {
		t.Fatal("a changed password is not seen by the next lookup")
	}
	d.DeleteUser(ctx, u.ID)
	if _, err := d.UserBySIPUsername(ctx, "1001"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted user still found: %v", err)
	}
}

func TestCallsSeeGroupChangesAtOnce(t *testing.T) {
	ctx := context.Background()
	d := testDirectory(t)
	a, _ := d.CreateUser(ctx, UserInput{Name: ptr("A"), Extension: ptr("101"), SIPPassword: ptr("secret-pass")})
	b, _ := d.CreateUser(ctx, UserInput{Name: ptr("B"), Extension: ptr("102"), SIPPassword: ptr("secret-pass")})
	g, _ := d.CreateGroup(ctx, GroupInput{Name: ptr("G"), MemberIDs: ptr([]uint{a.ID})})
	if got, _ := d.groupForCall(ctx, g.ID); !slices.Equal(got.MemberIDs, []uint{a.ID}) {
		t.Fatalf("members %v", got.MemberIDs)
	}
	d.UpdateGroup(ctx, g.ID, GroupInput{MemberIDs: ptr([]uint{b.ID, a.ID})})
	if got, _ := d.groupForCall(ctx, g.ID); !slices.Equal(got.MemberIDs, []uint{b.ID, a.ID}) {
		t.Fatalf("a call still sees the old members: %v", got.MemberIDs)
	}
	d.DeleteUser(ctx, b.ID)
	if got, _ := d.groupForCall(ctx, g.ID); !slices.Equal(got.MemberIDs, []uint{a.ID}) {
		t.Fatalf("a call still rings a deleted user: %v", got.MemberIDs)
	}
}

// A number the company no longer owns leaves the caller IDs of the users
// who showed it.
func TestDeletedNumberLeavesCallerIDs(t *testing.T) {
	ctx := context.Background()
	d := testDirectory(t)
	ownNumbers(t, d, "+15550001111", "+15550002222")
	u, err := d.CreateUser(ctx, UserInput{Name: ptr("Alice"), Extension: ptr("1001"), SIPPassword: ptr("secret-pass"),
		CallerIDs: ptr([]string{"+15550001111", "+15550002222"})})
	if err != nil {
		t.Fatal(err)
	}
	numbers, _ := d.ListNumbers(ctx, NumberFilter{})
	if err := d.DeleteNumber(ctx, numbers[0].ID); err != nil {
		t.Fatal(err)
	}
	got, _ := d.User(ctx, u.ID)
	if !slices.Equal(got.CallerIDs, []string{numbers[1].E164}) {
		t.Fatalf("caller IDs %v after deleting %s", got.CallerIDs, numbers[0].E164)
	}
}

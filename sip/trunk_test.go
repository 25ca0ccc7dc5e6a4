package sip

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/netip"
	"path/filepath"
	"testing"

	"pbx/invalid"
	"pbx/store"
)

func testTrunks(t *testing.T) *Trunks {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "pbx.db"), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close(db) })
	if err := store.Migrate(context.Background(), db, Models()...); err != nil {
		t.Fatal(err)
	}
	tr, err := NewTrunks(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func ptr[T any](v T) *T { return &v }

func TestTrunksMatchInboundSources(t *testing.T) {
	ctx := context.Background()
	ts := testTrunks(t)
	wide, err := ts.Create(ctx, TrunkInput{Name: ptr("Carrier A"), Host: ptr("sip.carrier-a.example"),
		Username: ptr("acct"), Password: ptr("s3cret"), InboundCIDRs: ptr([]string{"198.51.100.0/24"})})
	if err != nil {
		t.Fatal(err)
	}
	if wide.Password != "" || !wide.HasPassword || wide.Port != 5060 || wide.Transport != "udp" {
		t.Fatalf("created %+v: want defaults and the password hidden", wide)
	}
	narrow, _ := ts.Create(ctx, TrunkInput{Name: ptr("Carrier B"), Host: ptr("198.51.100.77"), InboundCIDRs: ptr([]string{"198.51.100.77"})})

	tests := []struct {
		ip   string
		want uint
	}{
		{"198.51.100.10", wide.ID},
		{"198.51.100.77", narrow.ID}, // the most specific network wins
		{"::ffff:198.51.100.10", wide.ID},
		{"203.0.113.5", 0},
	}
	for _, tt := range tests {
		got, ok := ts.Match(netip.MustParseAddr(tt.ip))
		if (tt.want == 0 && ok) || (tt.want != 0 && got.ID != tt.want) {
			t.Errorf("Match(%s) = %d %v, want %d", tt.ip, got.ID, ok, tt.want)
		}
	}

	// A disabled trunk no longer admits calls; deleting one forgets it.
	ts.Update(ctx, narrow.ID, TrunkInput{Enabled: ptr(false)})
	if got, _ := ts.Match(netip.MustParseAddr("198.51.100.77")); got.ID != wide.ID {
		t.Fatalf("disabled trunk still matched: %d", got.ID)
	}
	ts.Delete(ctx, wide.ID)
	if _, ok := ts.Match(netip.MustParseAddr("198.51.100.10")); ok {
		t.Fatal("deleted trunk still matched")
	}
	// An update that leaves the password out keeps it.
	b, _ := ts.Update(ctx, narrow.ID, TrunkInput{Port: ptr(5080)})
	if b.Port != 5080 || b.HasPassword {
		t.Fatalf("after update: %+v", b)
	}
	if err := ts.Delete(ctx, wide.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
}

func TestTrunkValidation(t *testing.T) {
	ts := testTrunks(t)
	_, err := ts.Create(context.Background(), TrunkInput{Host: ptr("bad host!"), Port: ptr(70000), Transport: ptr("sctp"),
		InboundCIDRs: ptr([]string{"10.0.0.0/8", "nonsense"}), CallerIDFormat: ptr("weird"), Register: ptr(true)})
	var inv *invalid.Error
	if !errors.As(err, &inv) {
		t.Fatalf("err = %v", err)
	}
	want := map[string]bool{"name": true, "host": true, "port": true, "transport": true, "inbound_cidrs[1]": true, "caller_id_format": true}
	for _, f := range inv.Fields {
		delete(want, f.Field)
	}
	if len(want) != 0 {
		t.Fatalf("fields not reported: %v (got %+v)", want, inv.Fields)
	}
	_, err = ts.Create(context.Background(), TrunkInput{Name: ptr("R"), Host: ptr("10.0.0.1"), Register: ptr(true)})
	if !errors.As(err, &inv) || inv.Fields[0].Field != "register" {
		t.Fatalf("register without credentials: %v", err)
	}
}

func TestTrunkAddressesAreTrusted(t *testing.T) {
	ts := testTrunks(t)
	ctx := context.Background()
	if _, err := ts.Create(ctx, TrunkInput{Name: ptr("By address"), Host: ptr("192.0.2.7"), InboundCIDRs: ptr([]string{"198.51.100.0/24"})}); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Create(ctx, TrunkInput{Name: ptr("By name"), Host: ptr("localhost")}); err != nil {
		t.Fatal(err)
	}
	for ip, want := range map[string]bool{
		"192.0.2.7": true, "::ffff:192.0.2.7": true, // the host it calls
		"198.51.100.200": true, // its inbound network
		"127.0.0.1":      true, // what its host name resolves to
		"192.0.2.8":      false, "203.0.113.1": false,
	} {
		if got := ts.Trusted(netip.MustParseAddr(ip)); got != want {
			t.Errorf("Trusted(%s) = %v, want %v", ip, got, want)
		}
	}
}

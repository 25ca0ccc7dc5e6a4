package routing

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"pbx/refusal"
)

func TestInternalCalls(t *testing.T) {
	tests := []struct {
		name     string
		ext      string
		presence func(fakePresence)
		results  map[uint]error
		refused  refusal.Reason
		typ      string
		code     int
		owner    uint
	}{
		{name: "answered", ext: "1002", results: map[uint]error{bob: nil}, typ: CallIncoming, code: 200, owner: bob},
		{name: "no such extension", ext: "1999", refused: refusal.NoSuchExtension, typ: CallMissed, code: fakeFinal},
		{name: "not registered", ext: "1002", presence: func(p fakePresence) { delete(p.registered, bob) },
			refused: refusal.Unavailable, typ: CallMissed, code: fakeFinal, owner: bob},
		{name: "on another call", ext: "1002", presence: func(p fakePresence) { p.onCall[bob] = true },
			refused: refusal.Busy, typ: CallMissed, code: fakeFinal, owner: bob},
		{name: "declined", ext: "1002", results: map[uint]error{bob: ErrBusy},
			refused: refusal.Busy, typ: CallMissed, code: fakeFinal, owner: bob},
		{name: "no answer", ext: "1002", refused: refusal.NoAnswer, typ: CallMissed, code: fakeFinal, owner: bob},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := newEngineFixture(t)
			clk := &clock{t: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
			p := everyone()
			if tt.presence != nil {
				tt.presence(p)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			call := &fakeCall{clock: clk, results: tt.results, cancel: cancel}
			e := NewEngine(fx.d, p, fx.h, slog.New(slog.NewTextHandler(io.Discard, nil)), clk.now)
			e.RunInternal(ctx, call, "1001", tt.ext, clk.now())

			if !refusedFor(call.refusals, tt.refused) {
				t.Errorf("refusals %v, want %q", call.refusals, tt.refused)
			}
			recs, total, err := fx.h.List(context.Background(), CallFilter{})
			if err != nil || total != 1 {
				t.Fatalf("%d records (%v), want exactly 1", total, err)
			}
			r := recs[0]
			if r.Direction != DirectionInternal || r.Type != tt.typ || r.SIPCode != tt.code || r.From != "1001" || r.To != tt.ext {
				t.Errorf("record %+v", r)
			}
			if (tt.owner == 0) != (r.OwnerUserID == nil) || (r.OwnerUserID != nil && *r.OwnerUserID != tt.owner) {
				t.Errorf("owner %v, want %d", r.OwnerUserID, tt.owner)
			}
			if tt.code == 200 && (!call.waited || r.DurationSeconds != 42) {
				t.Errorf("answered call: waited %v, duration %d", call.waited, r.DurationSeconds)
			}
		})
	}
}

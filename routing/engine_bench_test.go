package routing

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"testing"
	"time"
)

// stablePresence is a fakePresence whose roster stays good (its channel
// never closes), as a real location's does between registrations.
type stablePresence struct {
	fakePresence
	changed chan struct{}
}

func (p stablePresence) Roster(members []uint) ([]uint, <-chan struct{}) {
	out, _ := p.fakePresence.Roster(members)
	return out, p.changed
}

// BenchmarkSequentialGroupCall runs carrier calls through a published flow
// into a sequential group of 4,000 registered agents, the first 2,000 in
// login order on a call: the engine's own work for a call (flow, roster,
// the first free agent, the call record), with the SIP side faked.
func BenchmarkSequentialGroupCall(b *testing.B) {
	ctx := context.Background()
	d := testDirectory(b)
	const agents = 4000
	users := make([]User, agents)
	for i := range users {
		users[i] = User{Name: fmt.Sprint("Agent ", i), Extension: fmt.Sprint(300000 + i), SIPUsername: fmt.Sprint(300000 + i)}
	}
	if err := d.db.CreateInBatches(&users, 200).Error; err != nil {
		b.Fatal(err)
	}
	members := make([]uint, agents)
	p := stablePresence{fakePresence{registered: map[uint]time.Time{}, onCall: map[uint]bool{}}, make(chan struct{})}
	login := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	for i, u := range users {
		members[i] = u.ID
		p.registered[u.ID] = login.Add(time.Duration(i) * time.Second)
		p.onCall[u.ID] = i < agents/2
	}
	g, err := d.CreateGroup(ctx, GroupInput{Name: ptr("Agents"), MemberIDs: ptr(members)})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := d.CreateNumber(ctx, NumberInput{E164: ptr(engineNumber), Type: ptr(NumberTollFree), Country: ptr("US")}); err != nil {
		b.Fatal(err)
	}
	fx := engineFixture{d: d, h: NewHistory(d.db, nil), group: g.ID}
	fx.publish(b, flowOf([]State{{ID: "agents", Type: StateTransferGroup, GroupID: g.ID, Ring: RingSequential}}))
	clk := &clock{t: login.Add(time.Hour)}
	e := NewEngine(d, p, fx.h, slog.New(slog.NewTextHandler(io.Discard, nil)), clk.now)
	first := users[agents/2].ID
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	cpu0 := cpuTime()
	b.ResetTimer()
	for range b.N {
		call := &fakeCall{clock: clk, results: map[uint]error{first: nil}}
		e.Run(ctx, call, Inbound{From: "+15557654321", To: engineNumber, TrunkID: 1})
		if len(call.dials) != 1 || call.dials[0][0] != first {
			b.Fatalf("dialled %v, want the first free agent %d", call.dials, first)
		}
	}
	if err := fx.h.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	runtime.ReadMemStats(&ms1)
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-us/op")
	b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/float64(b.N), "process-allocs/op")
}

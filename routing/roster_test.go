package routing

import (
	"slices"
	"testing"
)

// countingPresence answers Roster from fakePresence, counting the
// questions, with a channel the test closes.
type countingPresence struct {
	fakePresence
	asked   int
	changed chan struct{}
}

func (p *countingPresence) Roster(members []uint) ([]uint, <-chan struct{}) {
	p.asked++
	out, _ := p.fakePresence.Roster(members)
	return out, p.changed
}

func TestRosterIsReusedUntilPresenceOrMembersChange(t *testing.T) {
	p := &countingPresence{fakePresence: everyone(), changed: make(chan struct{})}
	e := &Engine{presence: p}
	members := []uint{dave, alice, bob}
	for range 3 {
		if got := e.roster(7, members); !slices.Equal(got, []uint{alice, bob, dave}) {
			t.Fatalf("roster = %v, want login order alice, bob, dave", got)
		}
	}
	if p.asked != 1 {
		t.Fatalf("presence asked %d times for three calls, want 1", p.asked)
	}

	delete(p.registered, bob)
	close(p.changed)
	p.changed = make(chan struct{})
	if got := e.roster(7, members); !slices.Equal(got, []uint{alice, dave}) {
		t.Fatalf("after a change: roster = %v, want alice, dave", got)
	}
	if got := e.roster(7, []uint{carol}); !slices.Equal(got, []uint{carol}) {
		t.Fatalf("new members: roster = %v, want carol", got)
	}
	if p.asked != 3 {
		t.Fatalf("presence asked %d times, want 3 (a change, new members)", p.asked)
	}

	busy(p.fakePresence, alice, carol)
	if got := e.freeOf([]uint{alice, bob, carol, dave}); !slices.Equal(got, []uint{bob, dave}) {
		t.Fatalf("free = %v, want bob, dave", got)
	}
}

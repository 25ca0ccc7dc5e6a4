package routing

import (
	"slices"
	"sync"
)

// rosters remembers, for each group, its registered members in login
// order, until presence says the registrations changed or the group's
// members do. A busy group's calls then cost one pass over the members who
// are on a call, not a question about every member and a sort each time.
type rosters struct {
	mu     sync.Mutex
	groups map[uint]roster
}

type roster struct {
	members    []uint // the member list the roster was made from
	registered []uint
	changed    <-chan struct{}
}

// maxRosters bounds the cache; groups are few, so reaching it means
// something odd and starting again is fine.
const maxRosters = 10_000

// roster returns the group's registered members in login order. The answer
// is shared: callers must not change it.
func (e *Engine) roster(group uint, members []uint) []uint {
	e.rosters.mu.Lock()
	ro, ok := e.rosters.groups[group]
	e.rosters.mu.Unlock()
	if ok && !closed(ro.changed) && slices.Equal(ro.members, members) {
		return ro.registered
	}
	registered, changed := e.presence.Roster(members)
	e.rosters.mu.Lock()
	if e.rosters.groups == nil || len(e.rosters.groups) >= maxRosters {
		e.rosters.groups = make(map[uint]roster)
	}
	e.rosters.groups[group] = roster{members: members, registered: registered, changed: changed}
	e.rosters.mu.Unlock()
	return registered
}

// freeOf returns those of users who are not on a call, in their order.
func (e *Engine) freeOf(users []uint) []uint {
	var free []uint
	for i := e.presence.NextFree(users, 0); i >= 0; i = e.presence.NextFree(users, i+1) {
		free = append(free, users[i])
	}
	return free
}

func closed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

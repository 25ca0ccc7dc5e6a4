package sip

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// In node mode every node's Location keeps in memory the bindings of the
// REGISTERs it answered, as alone, and writes every change through to
// the database at once; the bindings other nodes hold are read back from
// the database every moment, so a call arriving at any node finds every
// device. The database is the truth a node that dies leaves behind: its
// devices stay reachable (through the balancer, by their Path) until they
// register again through another node, or expire.

// sharedLocation is the other nodes' bindings, as last read.
type sharedLocation struct {
	node    string
	every   time.Duration
	byAOR   map[string][]Binding
	byUser  map[uint][]Binding
	sweptAt time.Time
}

// Shared makes the Location one node's view (node names it) of bindings
// all nodes share through the database, reading the others' every every.
func Shared(node string, every time.Duration) LocationOption {
	return func(l *Location) {
		l.shared = &sharedLocation{node: node, every: every,
			byAOR: map[string][]Binding{}, byUser: map[uint][]Binding{}}
		l.slack = 0 // other nodes read the stored expiry: it must be the live one
	}
}

// nodeName is the node the Location is ("" alone).
func (l *Location) nodeName() string {
	if l.shared == nil {
		return ""
	}
	return l.shared.node
}

// forgetRemote drops another node's binding id of aor (every one when id
// is "") from memory and from the database; l.mu is held. It reports
// whether there was one.
func (l *Location) forgetRemote(aor, id string) bool {
	if l.shared == nil {
		return false
	}
	list := l.shared.byAOR[aor]
	kept := list[:0:0]
	for _, b := range list {
		if id == "" || b.ID == id {
			l.dirty[b.ID] = b.AOR
			continue
		}
		kept = append(kept, b)
	}
	if len(kept) == len(list) {
		return false
	}
	l.shared.byAOR[aor] = kept
	for user, bs := range l.shared.byUser {
		l.shared.byUser[user] = slices.DeleteFunc(bs, func(b Binding) bool { return b.AOR == aor && (id == "" || b.ID == id) })
	}
	return true
}

// unexpired returns the bindings of list that have not expired.
func unexpired(list []Binding, now time.Time) []Binding {
	var out []Binding
	for _, b := range list {
		if b.Expires.After(now) {
			out = append(out, b)
		}
	}
	return out
}

// remoteAOR, remoteUser and remoteAll return other nodes' live bindings;
// l.mu is held.
func (l *Location) remoteAOR(aor string, now time.Time) []Binding {
	if l.shared == nil {
		return nil
	}
	return unexpired(l.shared.byAOR[aor], now)
}

func (l *Location) remoteUser(id uint, now time.Time) []Binding {
	if l.shared == nil {
		return nil
	}
	return unexpired(l.shared.byUser[id], now)
}

func (l *Location) remoteAll(now time.Time) []Binding {
	if l.shared == nil {
		return nil
	}
	var out []Binding
	for _, list := range l.shared.byAOR {
		out = append(out, unexpired(list, now)...)
	}
	return out
}

// withRemote adds to local the remote bindings it does not hold itself:
// a device that moved here is this node's.
func (l *Location) withRemote(local, remote []Binding) []Binding {
	for _, r := range remote {
		if !containsID(local, r.ID) {
			local = append(local, r)
		}
	}
	return local
}

func containsID(list []Binding, id string) bool {
	for _, b := range list {
		if b.ID == id {
			return true
		}
	}
	return false
}

func (l *Location) refreshLogged(ctx context.Context) {
	if err := l.Refresh(ctx); err != nil && ctx.Err() == nil {
		l.log.Warn("read the other nodes' registrations", "error", err)
	}
}

// Refresh reads the other nodes' live bindings from the database, and now
// and then deletes the rows that expired long ago (a dead node's).
func (l *Location) Refresh(ctx context.Context) error {
	if l.shared == nil || l.db == nil {
		return nil
	}
	now := l.now()
	var rows []Binding
	if err := l.db.WithContext(ctx).Where("expires > ? AND node <> ?", now, l.shared.node).Find(&rows).Error; err != nil {
		return fmt.Errorf("read registrations: %w", err)
	}
	byAOR := make(map[string][]Binding, len(rows))
	byUser := make(map[uint][]Binding, len(rows))
	for _, b := range rows {
		byAOR[b.AOR] = append(byAOR[b.AOR], b)
		byUser[b.UserID] = append(byUser[b.UserID], b)
	}
	l.mu.Lock()
	l.moved(rows)
	changed := !sameDevices(l.shared.byAOR, byAOR)
	l.shared.byAOR, l.shared.byUser = byAOR, byUser
	if changed {
		l.notify()
	}
	sweep := now.Sub(l.shared.sweptAt) > time.Minute
	if sweep {
		l.shared.sweptAt = now
	}
	l.mu.Unlock()
	if sweep {
		if err := l.db.WithContext(ctx).Where("expires < ?", now.Add(-time.Minute)).Delete(&Binding{}).Error; err != nil {
			return fmt.Errorf("delete expired registrations: %w", err)
		}
	}
	return nil
}

// moved forgets the local bindings that registered since through another
// node (a newer row of the same device): that node holds them now; l.mu is
// held.
func (l *Location) moved(rows []Binding) {
	for _, r := range rows {
		list := l.byAOR[r.AOR]
		i := slices.IndexFunc(list, func(b *Binding) bool { return b.ID == r.ID })
		if i < 0 || !r.Updated.After(list[i].Updated) {
			continue
		}
		list = slices.Delete(list, i, i+1)
		if len(list) == 0 {
			delete(l.byAOR, r.AOR)
		} else {
			l.byAOR[r.AOR] = list
		}
	}
}

// sameDevices reports whether two snapshots hold the same devices, reached
// the same way.
func sameDevices(a, b map[string][]Binding) bool {
	if len(a) != len(b) {
		return false
	}
	for aor, la := range a {
		lb := b[aor]
		if len(la) != len(lb) {
			return false
		}
		for _, x := range la {
			i := -1
			for j := range lb {
				if lb[j].ID == x.ID {
					i = j
				}
			}
			if i < 0 || !sameDevice(&x, &lb[i]) || lb[i].Node != x.Node {
				return false
			}
		}
	}
	return true
}

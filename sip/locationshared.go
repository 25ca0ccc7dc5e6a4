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
//
// A read takes only the rows changed since the last one (by their Updated
// time, with readOverlap to spare for clocks and commits that lag), so its
// cost follows how many phones register each second, not how many there
// are. A binding that goes (unregistered, replaced, expired) is not
// deleted but written expired, a tombstone the other nodes read like any
// change; tombstones are deleted once no reader can still need them. A
// full read every fullRead is the safety net for whatever a read missed.

// Timings of the reads of other nodes' bindings.
const (
	// readOverlap is how far before the last read the next one begins: a
	// row is seen if the clocks of the node that wrote it and of the node
	// that reads agree within it, and its commit is no later than that.
	readOverlap = 2 * time.Second
	// fullRead is how often every live row is read again regardless.
	fullRead = time.Minute
	// tombstoneKeep is how long a row that expired is kept for the
	// readers; one that has not read for half of it reads everything.
	tombstoneKeep = time.Minute
)

// sharedLocation is the other nodes' bindings, as last read.
type sharedLocation struct {
	node   string
	every  time.Duration
	byAOR  map[string][]Binding
	byUser map[uint][]Binding
	// readAt is when the last read began (zero: read everything next),
	// fullAt when the last full one did.
	readAt, fullAt time.Time
	sweptAt        time.Time
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

// Refresh reads what changed in the other nodes' bindings since the last
// read (all of their live bindings on the first read, after a failed or
// long-missed one, and every fullRead), and now and then deletes the rows
// that expired long ago.
func (l *Location) Refresh(ctx context.Context) error {
	if l.shared == nil || l.db == nil {
		return nil
	}
	now := l.now()
	l.mu.Lock()
	sh := l.shared
	full := sh.readAt.IsZero() || now.Sub(sh.readAt) > tombstoneKeep/2 || now.Sub(sh.fullAt) >= fullRead
	since := sh.readAt.Add(-readOverlap)
	sh.readAt = time.Time{} // until this read succeeds
	l.mu.Unlock()

	q := l.db.WithContext(ctx).Where("node <> ?", sh.node)
	if full {
		q = q.Where("expires > ?", now)
	} else {
		q = q.Where("updated > ?", since) // tombstones too: they say what went
	}
	var rows []Binding
	if err := q.Find(&rows).Error; err != nil {
		return fmt.Errorf("read registrations: %w", err)
	}
	l.mu.Lock()
	changed := l.moved(rows)
	if full {
		changed = l.replaceRemote(rows, now) || changed
		sh.fullAt = now
	} else {
		changed = l.mergeRemote(rows, now) || changed
	}
	sh.readAt = now
	if changed {
		l.notify()
	}
	sweep := now.Sub(sh.sweptAt) > tombstoneKeep
	if sweep {
		sh.sweptAt = now
	}
	l.mu.Unlock()
	if sweep {
		if err := l.db.WithContext(ctx).Where("expires < ?", now.Add(-tombstoneKeep)).Delete(&Binding{}).Error; err != nil {
			return fmt.Errorf("delete expired registrations: %w", err)
		}
	}
	return nil
}

// replaceRemote makes rows, every live binding of the other nodes, the
// remote view; it reports whether a device came, went or changed. l.mu is
// held.
func (l *Location) replaceRemote(rows []Binding, now time.Time) bool {
	byAOR := make(map[string][]Binding, len(rows))
	byUser := make(map[uint][]Binding, len(rows))
	for _, b := range rows {
		byAOR[b.AOR] = append(byAOR[b.AOR], b)
		byUser[b.UserID] = append(byUser[b.UserID], b)
	}
	for aor, list := range l.shared.byAOR {
		l.shared.byAOR[aor] = unexpired(list, now) // so that an expiry counts as a change
	}
	changed := !sameDevices(l.shared.byAOR, byAOR)
	l.shared.byAOR, l.shared.byUser = byAOR, byUser
	return changed
}

// mergeRemote applies rows, the other nodes' bindings changed since the
// last read, to the remote view (an expired row removes its binding), and
// drops the bindings that expired since; it reports whether a device came,
// went or changed. l.mu is held.
func (l *Location) mergeRemote(rows []Binding, now time.Time) bool {
	sh := l.shared
	changed := false
	for _, r := range rows {
		list := sh.byAOR[r.AOR]
		i := slices.IndexFunc(list, func(b Binding) bool { return b.ID == r.ID })
		live := r.Expires.After(now)
		switch {
		case i < 0 && !live:
			continue // gone before we knew it
		case i < 0:
			changed = true
			list = append(list, r)
		case !live:
			changed = true
			list = slices.Delete(list, i, i+1)
		default:
			if !sameDevice(&list[i], &r) || list[i].Node != r.Node {
				changed = true
			}
			list[i] = r
		}
		if len(list) == 0 {
			delete(sh.byAOR, r.AOR)
		} else {
			sh.byAOR[r.AOR] = list
		}
	}
	for aor, list := range sh.byAOR {
		if !slices.ContainsFunc(list, func(b Binding) bool { return !b.Expires.After(now) }) {
			continue // the common case, checked without copying
		}
		kept := unexpired(list, now)
		changed = true
		if len(kept) == 0 {
			delete(sh.byAOR, aor)
		} else {
			sh.byAOR[aor] = kept
		}
	}
	if changed {
		// Rebuilt from byAOR rather than patched: a change of a user's
		// devices is rare beside the refreshes that change nothing.
		sh.byUser = make(map[uint][]Binding, len(sh.byUser))
		for _, list := range sh.byAOR {
			for _, b := range list {
				sh.byUser[b.UserID] = append(sh.byUser[b.UserID], b)
			}
		}
	} else {
		// Refreshes only: the same devices, with new expiries.
		for _, r := range rows {
			if !r.Expires.After(now) {
				continue
			}
			if list := sh.byUser[r.UserID]; list != nil {
				if i := slices.IndexFunc(list, func(b Binding) bool { return b.ID == r.ID }); i >= 0 {
					list[i] = r
				}
			}
		}
	}
	return changed
}

// moved forgets the local bindings that registered since through another
// node (a newer row of the same device: that node holds them now), or that
// another node unregistered (a newer tombstone). It reports whether it
// forgot one; l.mu is held.
func (l *Location) moved(rows []Binding) bool {
	forgot := false
	for _, r := range rows {
		list := l.byAOR[r.AOR]
		i := slices.IndexFunc(list, func(b *Binding) bool { return b.ID == r.ID })
		if i < 0 || !r.Updated.After(list[i].Updated) {
			continue
		}
		forgot = true
		delete(l.dirty, r.ID) // a change of ours older than theirs must not overwrite it
		delete(l.unstored, r.ID)
		list = slices.Delete(list, i, i+1)
		if len(list) == 0 {
			delete(l.byAOR, r.AOR)
		} else {
			l.byAOR[r.AOR] = list
		}
	}
	return forgot
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

package cluster

import (
	"context"
	"strconv"
	"time"

	"gorm.io/gorm"
)

// Presence is what a node knows of its own agents: the routing engine's
// view, implemented by the SIP edge.
type Presence interface {
	// Registered reports whether the user has a device registered.
	Registered(user uint) bool
	// OnCall reports whether the user is in a bridged call on this node.
	OnCall(user uint) bool
	// Roster returns those of members with a device registered, in login
	// order, and a channel closed when that may change.
	Roster(members []uint) (registered []uint, changed <-chan struct{})
	// NextFree returns the index of the first of users[from:] not on a
	// call on this node, or -1.
	NextFree(users []uint, from int) int
}

// Presence returns local's view with "on a call" made cluster-wide: a
// user on a call on any live node is busy here too.
func (n *Node) Presence(local Presence) Presence { return shared{local, n} }

type shared struct {
	Presence
	n *Node
}

func (p shared) OnCall(user uint) bool {
	return p.Presence.OnCall(user) || len(p.n.busyElsewhere([]uint{user})) > 0
}

// NextFree skips, besides this node's agents on a call, those on a call
// on another node: one query for the users left to try.
func (p shared) NextFree(users []uint, from int) int {
	i := p.Presence.NextFree(users, from)
	if i < 0 {
		return i
	}
	elsewhere := p.n.busyElsewhere(users[i:])
	for i >= 0 && elsewhere[users[i]] {
		i = p.Presence.NextFree(users, i+1)
	}
	return i
}

// busyElsewhere returns which of users another live node has on a call.
// A failing database counts as none busy: a phone answers 486 itself.
func (n *Node) busyElsewhere(users []uint) map[uint]bool {
	if len(users) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	var ids []uint
	err := n.db.WithContext(ctx).Raw(`SELECT b.user_id FROM cluster_busy b JOIN cluster_nodes n ON n.name = b.node
		WHERE b.user_id IN ? AND b.node <> ? AND n.alive_at >= ?`, users, n.cfg.Name, n.now().Add(-n.cfg.DeadAfter).UTC()).
		Scan(&ids).Error
	if err != nil {
		n.log.Warn("busy on other nodes", "error", err)
		return nil
	}
	busy := make(map[uint]bool, len(ids))
	for _, id := range ids {
		busy[id] = true
	}
	return busy
}

// UserChanged hears that the user's first call on this node began or
// their last ended (the SIP edge's OnBusy); the node writes the state
// local reports then, in order, off the call's goroutine.
func (n *Node) UserChanged(user uint, _ bool) {
	n.mu.Lock()
	n.dirty[user] = struct{}{}
	n.mu.Unlock()
	select {
	case n.kick <- struct{}{}:
	default:
	}
}

// writeBusy writes the busy state of the users that changed, as local has
// it now; a user who became free is announced to the other nodes.
func (n *Node) writeBusy(ctx context.Context, local Presence) error {
	n.mu.Lock()
	users := n.dirty
	n.dirty = map[uint]struct{}{}
	n.mu.Unlock()
	for user := range users {
		if err := n.writeUser(ctx, local, user); err != nil {
			n.mu.Lock()
			n.dirty[user] = struct{}{} // try again with the next change or beat
			n.mu.Unlock()
			return err
		}
	}
	return nil
}

func (n *Node) writeUser(ctx context.Context, local Presence, user uint) error {
	return n.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if local.OnCall(user) {
			return tx.Exec("INSERT INTO cluster_busy (user_id, node, since) VALUES (?, ?, ?) ON CONFLICT (user_id, node) DO NOTHING",
				user, n.cfg.Name, n.now().UTC()).Error
		}
		if err := tx.Exec("DELETE FROM cluster_busy WHERE user_id = ? AND node = ?", user, n.cfg.Name).Error; err != nil {
			return err
		}
		if tx.Dialector.Name() != "postgres" {
			return nil
		}
		// Sent when the transaction commits: callers queued for this
		// agent on other nodes are tried again.
		return tx.Exec("SELECT pg_notify(?, ?)", channel, payload(n.cfg.Name, newsFree, strconv.FormatUint(uint64(user), 10))).Error
	})
}

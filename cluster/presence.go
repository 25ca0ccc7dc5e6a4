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
	// LoggedInAt returns when the user's earliest registration began.
	LoggedInAt(user uint) time.Time
}

// Presence returns local's view with "on a call" made cluster-wide: a
// user on a call on any live node is busy here too.
func (n *Node) Presence(local Presence) Presence { return shared{local, n} }

type shared struct {
	Presence
	n *Node
}

func (p shared) OnCall(user uint) bool {
	return p.Presence.OnCall(user) || p.n.busyElsewhere(user)
}

// busyElsewhere reports whether another live node has the user on a call.
// A failing database counts as not busy: the phone answers 486 itself.
func (n *Node) busyElsewhere(user uint) bool {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	var count int64
	err := n.db.WithContext(ctx).Raw(`SELECT count(*) FROM cluster_busy b JOIN cluster_nodes n ON n.name = b.node
		WHERE b.user_id = ? AND b.node <> ? AND n.alive_at >= ?`, user, n.cfg.Name, n.now().Add(-n.cfg.DeadAfter).UTC()).
		Scan(&count).Error
	if err != nil {
		n.log.Warn("busy on other nodes", "user", user, "error", err)
		return false
	}
	return count > 0
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

package cluster

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"

	"pbx/money"
)

// errNotJoined: the node's row is gone (another node took it for dead);
// the next heartbeat puts it back.
var errNotJoined = errors.New("this node is not in the cluster")

// Reservations is the node's column of what its running calls hold of the
// wallet, and the sum of the other live nodes' (billing's Peers). Its
// methods run in the transaction the caller gives them, which holds the
// wallet's lock, so checking the credit and publishing a reservation are
// one step for the cluster.
type Reservations struct{ n *Node }

// Reservations returns the node's share of the cluster's reservations.
func (n *Node) Reservations() Reservations { return Reservations{n} }

// Reserved returns what the other nodes' calls hold; a node silent for
// DeadAfter holds nothing (its calls died with it).
func (r Reservations) Reserved(ctx context.Context, tx *gorm.DB) (money.Credits, error) {
	var sum int64
	n := r.n
	err := tx.WithContext(ctx).Raw("SELECT COALESCE(SUM(reserved), 0) FROM cluster_nodes WHERE name <> ? AND alive_at >= ?",
		n.cfg.Name, n.now().Add(-n.cfg.DeadAfter).UTC()).Scan(&sum).Error
	if err != nil {
		return 0, fmt.Errorf("reservations of the other nodes: %w", err)
	}
	return money.Credits(sum), nil
}

// Hold publishes that this node's calls hold total. The node remembers it
// too, for its row when it joins again (a meter whose publication failed
// refused the call that grew it, so the last one written is right).
func (r Reservations) Hold(ctx context.Context, tx *gorm.DB, total money.Credits) error {
	n := r.n
	res := tx.WithContext(ctx).Exec("UPDATE cluster_nodes SET reserved = ? WHERE name = ?", int64(total), n.cfg.Name)
	if res.Error != nil {
		return fmt.Errorf("publish this node's reservations: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("publish this node's reservations: %w", errNotJoined)
	}
	n.mu.Lock()
	n.held = total
	n.mu.Unlock()
	return nil
}

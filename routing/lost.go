package routing

import (
	"context"
	"fmt"
	"time"
)

// In a cluster each node marks its own calls alive (KeepAlive). A node
// that dies stops: whichever node notices first closes its calls, once.

// CauseNodeLost ends a call whose cluster node stopped marking it alive.
const CauseNodeLost = "node lost"

// HistoryOption configures a History.
type HistoryOption func(*History)

// OnNode makes the History one cluster node's: the records it begins are
// the node's, and it keeps alive and closes at start only those.
func OnNode(name string) HistoryOption { return func(h *History) { h.node = name } }

// Lost returns the records of other nodes' calls in progress that were
// last marked alive before before, on nodes not in alive (the nodes whose
// heartbeat is recent: a node slow to mark its calls keeps them).
func (h *History) Lost(ctx context.Context, before time.Time, alive []string) ([]CallRecord, error) {
	var recs []CallRecord
	q := h.db.WithContext(ctx).Where("in_progress = ? AND node <> ? AND alive_at < ?", true, h.node, before.UTC())
	if len(alive) > 0 {
		q = q.Where("node NOT IN ?", alive)
	}
	err := q.Order("id").Find(&recs).Error
	if err != nil {
		return nil, fmt.Errorf("lost calls: %w", err)
	}
	return recs, nil
}

// close stores rec as ended if it is still in progress, in one statement,
// so that when two nodes close the same lost call only one does. It
// reports whether this one did.
func (h *History) close(ctx context.Context, rec CallRecord) (bool, error) {
	if err := checkRecord(&rec); err != nil {
		return false, err
	}
	rec.InProgress = false
	normalise(&rec)
	rec.AliveAt = rec.EndedAt
	res := h.db.WithContext(ctx).Model(&CallRecord{ID: rec.ID}).Where("in_progress = ?", true).Select("*").Updates(&rec)
	if res.Error != nil {
		return false, fmt.Errorf("close call %s: %w", rec.CallID, res.Error)
	}
	return res.RowsAffected == 1, nil
}

// CloseLost closes the calls of other nodes that have not been marked
// alive since before and whose node is not among alive (it died), each
// ending when it was last alive with the cause "node lost". It returns how
// many it closed.
func (e *Engine) CloseLost(ctx context.Context, before time.Time, alive []string) (int, error) {
	lost, err := e.history.Lost(ctx, before, alive)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, rec := range lost {
		// Its recording, if any, is on the lost node's disk: left as it is.
		if err := e.ended(ctx, &rec, CauseNodeLost, false); err != nil {
			return n, err
		}
		closed, err := e.history.close(ctx, rec)
		if err != nil {
			return n, err
		}
		if closed {
			n++
			e.log.Warn("closed a call of a lost node", "call_id", rec.CallID, "node", rec.Node,
				"started", rec.StartedAt, "last_alive", rec.AliveAt)
		}
	}
	return n, nil
}

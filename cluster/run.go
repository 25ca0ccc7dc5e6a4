package cluster

import (
	"context"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// Hooks are what the node tells the rest of the server.
type Hooks struct {
	// Free hears that another node's agent finished their last call.
	Free func(user uint)
	// Changed hears that another node changed what every node keeps in
	// memory under topic (Announce).
	Changed func(topic string)
	// Lost is called every while with the time before which a call not
	// marked alive may be a dead node's, and the nodes whose heartbeat is
	// recent (their calls are not to be closed, however late).
	Lost func(ctx context.Context, before time.Time, alive []string)
	// Beat is called after each heartbeat: what the node publishes
	// lazily (its calls' reservations, once they shrank) is written then.
	Beat func(ctx context.Context)
}

// Run beats the heartbeat, writes the busy state of local's agents as it
// changes, listens to the other nodes and watches for dead ones, until
// ctx ends. Then it leaves the cluster: its agents are on no call.
func (n *Node) Run(ctx context.Context, local Presence, h Hooks) error {
	listening := make(chan struct{})
	go func() {
		defer close(listening)
		n.listen(ctx, h)
	}()
	defer func() { <-listening }()

	beat := time.NewTicker(n.cfg.DeadAfter / 6)
	defer beat.Stop()
	watch := time.NewTicker(n.cfg.DeadAfter / 3)
	defer watch.Stop()
	for {
		select {
		case <-ctx.Done():
			n.leave(context.WithoutCancel(ctx))
			return nil
		case <-n.kick:
			if err := n.writeBusy(ctx, local); err != nil && ctx.Err() == nil {
				n.log.Warn("write busy agents", "error", err)
			}
		case <-beat.C:
			if err := n.beat(ctx); err != nil && ctx.Err() == nil {
				n.log.Warn("heartbeat", "error", err)
			}
			if h.Beat != nil {
				h.Beat(ctx)
			}
			if err := n.writeBusy(ctx, local); err != nil && ctx.Err() == nil {
				n.log.Warn("write busy agents", "error", err)
			}
		case <-watch.C:
			dead, err := n.Dead(ctx)
			if err != nil {
				if ctx.Err() == nil {
					n.log.Warn("watch nodes", "error", err)
				}
				continue
			}
			for _, name := range dead {
				n.log.Warn("node lost", "node", name)
			}
			before := n.now().Add(-n.cfg.DeadAfter)
			alive, err := n.Alive(ctx, before)
			if err != nil {
				if ctx.Err() == nil {
					n.log.Warn("watch nodes", "error", err)
				}
				continue
			}
			if h.Lost != nil {
				h.Lost(ctx, before, alive)
			}
		}
	}
}

// leave removes the node's busy agents: its calls have ended.
func (n *Node) leave(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := n.db.WithContext(ctx).Exec("DELETE FROM cluster_busy WHERE node = ?", n.cfg.Name).Error; err != nil {
		n.log.Warn("leave the cluster", "error", err)
	}
}

// listen hears the other nodes' news (LISTEN/NOTIFY on its own
// connection), reconnecting after a failure, until ctx ends.
func (n *Node) listen(ctx context.Context, h Hooks) {
	if n.cfg.DSN == "" {
		return
	}
	for ctx.Err() == nil {
		err := n.listenOnce(ctx, h)
		if ctx.Err() != nil {
			return
		}
		n.log.Warn("listen to the other nodes", "error", err)
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

func (n *Node) listenOnce(ctx context.Context, h Hooks) error {
	conn, err := pgx.Connect(ctx, n.cfg.DSN)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+channel); err != nil {
		return err
	}
	if h.Changed != nil {
		// What changed while this node was not listening is read again.
		h.Changed("")
	}
	for {
		note, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		node, kind, arg, ok := parsePayload(note.Payload)
		if !ok || node == n.cfg.Name {
			continue
		}
		switch kind {
		case newsFree:
			if user, err := strconv.ParseUint(arg, 10, 64); err == nil && h.Free != nil {
				h.Free(uint(user))
			}
		case newsChanged:
			if h.Changed != nil {
				h.Changed(arg)
			}
		}
	}
}

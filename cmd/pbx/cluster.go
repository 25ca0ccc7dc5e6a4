package main

import (
	"context"
	"log/slog"
	"time"

	"gorm.io/gorm"

	"pbx/billing"
	"pbx/cluster"
	"pbx/configs"
	"pbx/routing"
	"pbx/sip"
)

// locationRefresh is how often a node reads the registrations the other
// nodes hold: a phone that registers through one node can be called
// through another this long after.
const locationRefresh = time.Second

// nonceKeyName names the digest nonce key in the cluster's settings.
const nonceKeyName = "sip_nonce_key"

// joinCluster makes this server a node of the cluster cfg names, or
// returns nil when it runs alone. The balancers are exempt from the SIP
// guard and rate limit: every phone's request comes from them, and they
// limit the phones themselves (pike in Kamailio).
func joinCluster(ctx context.Context, cfg *configs.Config, db *gorm.DB, log *slog.Logger) (*cluster.Node, error) {
	c := cfg.Cluster
	if c.Node == "" {
		return nil, nil
	}
	node := cluster.New(db, cluster.Config{Name: c.Node, SIPAddr: cfg.SIP.Addr, DeadAfter: c.DeadAfter, DSN: cfg.DB},
		log.With("component", "cluster", "node", c.Node), time.Now)
	if err := node.Join(ctx); err != nil {
		return nil, err
	}
	cfg.SIP.Guard.Allow = append(cfg.SIP.Guard.Allow, c.Proxies...)
	return node, nil
}

// locationOptions shares the registrations with the other nodes.
func locationOptions(node *cluster.Node) []sip.LocationOption {
	if node == nil {
		return nil
	}
	return []sip.LocationOption{sip.Shared(node.Name(), locationRefresh)}
}

// historyOptions marks the calls this node runs as its own.
func historyOptions(node *cluster.Node) []routing.HistoryOption {
	if node == nil {
		return nil
	}
	return []routing.HistoryOption{routing.OnNode(node.Name())}
}

// nonceKey is the key all nodes sign digest nonces with (nil alone: a
// random one per run).
func nonceKey(ctx context.Context, node *cluster.Node) ([]byte, error) {
	if node == nil {
		return nil, nil
	}
	return node.Secret(ctx, nonceKeyName)
}

// presence is who can take a call: in a cluster, an agent on a call on
// any node is busy.
func presence(node *cluster.Node, local *sip.Server) routing.Presence {
	if node == nil {
		return local
	}
	return node.Presence(local)
}

// runCluster runs the node until ctx ends: the other nodes hear of this
// one's busy agents, and the calls of a node that died are closed.
func runCluster(ctx context.Context, node *cluster.Node, local *sip.Server, engine *routing.Engine, trunks *sip.Trunks, dir *routing.Directory, meter *billing.Meter, log *slog.Logger) error {
	if node == nil {
		return nil
	}
	return node.Run(ctx, local, cluster.Hooks{
		Beat: func(ctx context.Context) {
			if meter == nil {
				return // billing is off
			}
			if err := meter.Publish(ctx); err != nil && ctx.Err() == nil {
				log.Warn("publish this node's reservations", "error", err)
			}
		},
		Free: engine.UserFree,
		Changed: func(topic string) {
			// "" is every topic: news may have been missed.
			if topic == topicDirectory || topic == "" {
				dir.Forget()
			}
			if topic == topicTrunks || topic == "" {
				if err := trunks.Reload(ctx); err != nil {
					log.Warn("reload the trunks another node changed", "error", err)
				}
			}
		},
		Lost: func(ctx context.Context, before time.Time, alive []string) {
			n, err := engine.CloseLost(ctx, before, alive)
			if err != nil && ctx.Err() == nil {
				log.Warn("close the calls of lost nodes", "error", err)
			} else if n > 0 {
				log.Warn("closed the calls of lost nodes", "count", n)
			}
		},
	})
}

// The news a node gives the others: it changed the trunks, or the
// directory (users, groups, flows, numbers) whose answers calls cache.
const (
	topicTrunks    = "trunks"
	topicDirectory = "directory"
)

// directoryOptions tells the other nodes when this one changes the directory.
func directoryOptions(node *cluster.Node) []routing.DirectoryOption {
	if node == nil {
		return nil
	}
	return []routing.DirectoryOption{routing.WithChanged(func() { node.Announce(context.Background(), topicDirectory) })}
}

// trunkOptions tells the other nodes when this one changes a trunk.
func trunkOptions(node *cluster.Node) []sip.TrunkOption {
	if node == nil {
		return nil
	}
	return []sip.TrunkOption{sip.WithChanged(func() { node.Announce(context.Background(), topicTrunks) })}
}

// onBusy tells the other nodes when an agent's calls here begin and end.
func onBusy(node *cluster.Node) func(uint, bool) {
	if node == nil {
		return nil
	}
	return node.UserChanged
}

// ledgerOptions: a server alone is its wallet's only writer.
func ledgerOptions(node *cluster.Node) []billing.LedgerOption {
	if node != nil {
		return nil
	}
	return []billing.LedgerOption{billing.SoleWriter()}
}

// meterOptions makes the meter count what the calls of the other nodes
// hold of the wallet, and publish what this node's hold.
func meterOptions(node *cluster.Node) []billing.MeterOption {
	if node == nil {
		return nil
	}
	return []billing.MeterOption{billing.SharedWith(node.Reservations())}
}

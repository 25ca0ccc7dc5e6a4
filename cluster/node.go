package cluster

import (
	"context"
	"crypto/rand"
	"embed"
	"encoding/base64"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"

	"pbx/money"
)

//go:embed migrations
var migrations embed.FS

// Migrations returns the versioned SQL migrations of the cluster tables,
// one folder per dialect.
func Migrations() fs.FS {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		panic(err) // the folder is embedded
	}
	return sub
}

// Config is what a Node is built from.
type Config struct {
	// Name names the node; unique in the cluster.
	Name string
	// SIPAddr is where the node serves SIP, shown to the others.
	SIPAddr string
	// DeadAfter is how long a node may go without a heartbeat before the
	// others count it dead.
	DeadAfter time.Duration
	// DSN is the PostgreSQL URL, for the connection that listens to the
	// other nodes' news; empty (SQLite, in tests) listens to nothing.
	DSN string
}

// Node is this server as one node of a cluster.
type Node struct {
	db  *gorm.DB
	cfg Config
	log *slog.Logger
	now func() time.Time

	mu    sync.Mutex
	dirty map[uint]struct{} // users whose busy state changed, to write
	held  money.Credits     // what this node's calls hold, as last published
	kick  chan struct{}
}

// New returns the Node cfg describes, over db (migrated with Migrations).
func New(db *gorm.DB, cfg Config, log *slog.Logger, now func() time.Time) *Node {
	return &Node{db: db, cfg: cfg, log: log, now: now, dirty: map[uint]struct{}{}, kick: make(chan struct{}, 1)}
}

// Name is the node's name.
func (n *Node) Name() string { return n.cfg.Name }

// nodeRow is a node as the others see it.
type nodeRow struct {
	Name      string `gorm:"primaryKey"`
	SIPAddr   string
	StartedAt time.Time
	AliveAt   time.Time
	Reserved  money.Credits // what its running calls hold of the wallet
}

func (nodeRow) TableName() string { return "cluster_nodes" }

// Join announces the node (alive now). A node restarting under its name
// takes its row back; its calls hold what it last published (nothing, in
// a new process).
func (n *Node) Join(ctx context.Context) error {
	now := n.now().UTC()
	n.mu.Lock()
	held := n.held
	n.mu.Unlock()
	err := n.db.WithContext(ctx).Exec(`INSERT INTO cluster_nodes (name, sip_addr, started_at, alive_at, reserved) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET sip_addr = excluded.sip_addr, started_at = excluded.started_at, alive_at = excluded.alive_at,
		reserved = excluded.reserved`,
		n.cfg.Name, n.cfg.SIPAddr, now, now, int64(held)).Error
	if err != nil {
		return fmt.Errorf("join the cluster as %s: %w", n.cfg.Name, err)
	}
	// Agents this node had on calls before a crash are on none now.
	if err := n.db.WithContext(ctx).Exec("DELETE FROM cluster_busy WHERE node = ?", n.cfg.Name).Error; err != nil {
		return fmt.Errorf("join the cluster as %s: %w", n.cfg.Name, err)
	}
	return nil
}

// Secret returns the shared secret called name, 32 random bytes made by
// whichever node asks first: every node inserts its own candidate, the
// database keeps the first, and every node reads that one.
func (n *Node) Secret(ctx context.Context, name string) ([]byte, error) {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand never fails on Linux
	db := n.db.WithContext(ctx)
	if err := db.Exec("INSERT INTO cluster_settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
		name, base64.StdEncoding.EncodeToString(b)).Error; err != nil {
		return nil, fmt.Errorf("secret %s: %w", name, err)
	}
	var v string
	if err := db.Raw("SELECT value FROM cluster_settings WHERE name = ?", name).Scan(&v).Error; err != nil {
		return nil, fmt.Errorf("secret %s: %w", name, err)
	}
	key, err := base64.StdEncoding.DecodeString(v)
	if err != nil || len(key) < 16 {
		return nil, fmt.Errorf("secret %s: the stored value is not a key", name)
	}
	return key, nil
}

// beat marks the node alive now.
func (n *Node) beat(ctx context.Context) error {
	res := n.db.WithContext(ctx).Exec("UPDATE cluster_nodes SET alive_at = ? WHERE name = ?", n.now().UTC(), n.cfg.Name)
	if res.Error != nil {
		return fmt.Errorf("heartbeat: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		// Another node took us for dead and removed us: we are back.
		return n.Join(ctx)
	}
	return nil
}

// Dead returns the nodes not heard from for DeadAfter, and forgets the
// agents they had on calls: those calls are over.
func (n *Node) Dead(ctx context.Context) ([]string, error) {
	var names []string
	before := n.now().Add(-n.cfg.DeadAfter).UTC()
	db := n.db.WithContext(ctx)
	if err := db.Raw("SELECT name FROM cluster_nodes WHERE alive_at < ? AND name <> ? ORDER BY name", before, n.cfg.Name).
		Scan(&names).Error; err != nil {
		return nil, fmt.Errorf("dead nodes: %w", err)
	}
	for _, name := range names {
		if err := db.Exec("DELETE FROM cluster_busy WHERE node = ?", name).Error; err != nil {
			return nil, fmt.Errorf("forget node %s: %w", name, err)
		}
		if err := db.Exec("DELETE FROM cluster_nodes WHERE name = ? AND alive_at < ?", name, before).Error; err != nil {
			return nil, fmt.Errorf("forget node %s: %w", name, err)
		}
	}
	return names, nil
}

// Alive returns the nodes heard from since before, this one included.
func (n *Node) Alive(ctx context.Context, before time.Time) ([]string, error) {
	names := []string{n.cfg.Name}
	var others []string
	if err := n.db.WithContext(ctx).Raw("SELECT name FROM cluster_nodes WHERE alive_at >= ? AND name <> ? ORDER BY name",
		before.UTC(), n.cfg.Name).Scan(&others).Error; err != nil {
		return nil, fmt.Errorf("live nodes: %w", err)
	}
	return append(names, others...), nil
}

// channel is the PostgreSQL notification channel on which the nodes tell
// each other news, each payload "node kind argument": "free 7" (agent 7's
// last call on node ended), "changed trunks" (node changed what the others
// keep in memory).
const channel = "pbx_cluster"

// News kinds.
const (
	newsFree    = "free"
	newsChanged = "changed"
)

func payload(node, kind, arg string) string { return node + " " + kind + " " + arg }

// parsePayload reads a channel payload.
func parsePayload(p string) (node, kind, arg string, ok bool) {
	node, rest, ok1 := strings.Cut(p, " ")
	kind, arg, ok2 := strings.Cut(rest, " ")
	return node, kind, arg, ok1 && ok2 && node != "" && kind != ""
}

// Announce tells the other nodes that this one changed what they keep in
// memory under topic (such as "trunks"); their Hooks.Changed hears it.
func (n *Node) Announce(ctx context.Context, topic string) {
	if n.db.Dialector.Name() != "postgres" {
		return
	}
	if err := n.db.WithContext(ctx).Exec("SELECT pg_notify(?, ?)", channel, payload(n.cfg.Name, newsChanged, topic)).Error; err != nil {
		n.log.Warn("announce a change to the other nodes", "topic", topic, "error", err)
	}
}

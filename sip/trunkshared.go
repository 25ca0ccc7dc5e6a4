package sip

import "context"

// In a cluster every node keeps the trunks' networks in memory: a node
// that changes a trunk tells the others (WithChanged), which Reload.

// WithChanged has the trunk store call changed after it stored a change.
func WithChanged(changed func()) TrunkOption {
	return func(t *Trunks) { t.changed = changed }
}

// Reload reads the trunks again: another node changed them.
func (t *Trunks) Reload(ctx context.Context) error { return t.reload(ctx) }

func (t *Trunks) announce() {
	if t.changed != nil {
		t.changed()
	}
}

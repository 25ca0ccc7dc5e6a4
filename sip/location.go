package sip

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"sort"
	"sync"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"pbx/groupcommit"
)

// Binding is one registered device of a user: where to reach it and until when.
type Binding struct {
	// ID is the AOR and the device's +sip.instance, or else its contact URI.
	ID        string    `gorm:"primaryKey;size:600" json:"-"`
	UserID    uint      `gorm:"index" json:"user_id"`
	AOR       string    `gorm:"column:aor;size:64;index" json:"username"`
	Contact   string    `gorm:"size:512" json:"contact"`
	Instance  string    `gorm:"size:256" json:"instance,omitempty"`
	Source    string    `gorm:"size:64" json:"source"`
	Transport string    `gorm:"size:8" json:"transport"`
	UserAgent string    `gorm:"size:256" json:"user_agent"`
	NAT       bool      `json:"nat"`
	CallID    string    `gorm:"size:256" json:"-"`
	CSeq      uint32    `json:"-"`
	Expires   time.Time `gorm:"index" json:"expires_at"`
	// Updated is when the binding last changed; other nodes read the rows
	// changed since they last read (locationshared.go).
	Updated time.Time `gorm:"index" json:"registered_at"`
	// Since is when this device registered first, kept across refreshes:
	// the login order sequential ringing follows.
	Since time.Time `json:"since"`
	// Path is the Path header (RFC 3327) the REGISTER came with through a
	// balancer: calls to the device are routed back through it.
	Path string `gorm:"size:1024" json:"path,omitempty"`
	// Node is the cluster node that holds the registration ("" alone).
	Node string `gorm:"size:64;index" json:"node,omitempty"`

	// stored is the expiry last handed to the database.
	stored time.Time
}

// storeSlack is how far a stored expiry may lag the live one before a
// refresh is written: a device re-registering every few seconds costs no
// writes, and a binding restored after a crash expires at most this early.
const storeSlack = time.Minute

// TableName keeps the table's name stable whatever the type is called.
func (Binding) TableName() string { return "registrations" }

// Models lists the tables sip owns, for migration.
func Models() []any { return []any{&Binding{}, &Trunk{}} }

// ContactUpdate is one Contact of a REGISTER, already resolved to seconds.
type ContactUpdate struct {
	URI      string
	Instance string
	Expires  int // seconds; 0 removes
}

// Update is a REGISTER's effect on one AOR.
type Update struct {
	AOR       string
	UserID    uint
	Wildcard  bool // Contact: * with Expires: 0
	Contacts  []ContactUpdate
	CallID    string
	CSeq      uint32
	Source    string
	Transport string
	UserAgent string
	NAT       bool
	Path      string
}

// Location is the registrar's location service: every live binding, kept in
// memory and written behind to the database so a restart keeps them without
// the database slowing REGISTER down.
type Location struct {
	db          *gorm.DB
	log         *slog.Logger
	now         func() time.Time
	maxContacts int
	slack       time.Duration // storeSlack, or 0 when other nodes read the rows

	mu     sync.Mutex
	byAOR  map[string][]*Binding
	byUser map[uint]string   // user id -> AOR, so a call finds a user's devices at once
	dirty  map[string]string // binding IDs changed since the last flush -> their AOR
	kick   chan struct{}
	// changed is closed, and replaced, when a device registers, leaves or
	// expires: not on a plain refresh.
	changed chan struct{}

	// shared is set in node mode (Shared); other nodes' bindings, read
	// from the database, are its business.
	shared *sharedLocation

	// In node mode (locationshared.go) every write goes through writes,
	// one at a time, so that Register can wait for one that began after
	// its change; unstored holds the bindings whose device changed and is
	// not yet written, with the generation (gen) of that change.
	writes   *groupcommit.Committer[*write]
	unstored map[string]uint64
	gen      uint64
}

// LocationOption configures a Location.
type LocationOption func(*Location)

// NewLocation returns an empty Location persisted to db (nil keeps it in memory only).
func NewLocation(db *gorm.DB, log *slog.Logger, maxContacts int, now func() time.Time, opts ...LocationOption) *Location {
	l := &Location{
		db: db, log: log, now: now, maxContacts: maxContacts, slack: storeSlack,
		byAOR:  make(map[string][]*Binding),
		byUser: make(map[uint]string),
		dirty:  make(map[string]string),
		kick:   make(chan struct{}, 1),

		changed: make(chan struct{}),
	}
	for _, o := range opts {
		o(l)
	}
	if l.shared != nil && db != nil {
		l.writes = groupcommit.New(64, l.writeBatch)
		l.unstored = make(map[string]uint64)
	}
	return l
}

// Changed returns a channel that is closed when the set of registered
// devices next changes (one registers, unregisters or expires; a refresh
// that changes nothing a call needs is no change).
func (l *Location) Changed() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.changed
}

// notify wakes the watchers of Changed; l.mu is held.
func (l *Location) notify() {
	close(l.changed)
	l.changed = make(chan struct{})
}

// Load reads the unexpired bindings from the database.
func (l *Location) Load(ctx context.Context) (int, error) {
	if l.db == nil {
		return 0, nil
	}
	var rows []Binding
	q := l.db.WithContext(ctx).Where("expires > ?", l.now())
	if l.shared != nil {
		q = q.Where("node = ?", l.shared.node) // the others' are read by refresh
	}
	if err := q.Find(&rows).Error; err != nil {
		return 0, fmt.Errorf("load registrations: %w", err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := range rows {
		b := rows[i]
		b.stored = b.Expires
		l.byAOR[b.AOR] = append(l.byAOR[b.AOR], &b)
		l.byUser[b.UserID] = b.AOR
	}
	if len(rows) > 0 {
		l.notify()
	}
	return len(rows), nil
}

// Apply performs an update under the rules of RFC 3261 10.3 and returns the
// AOR's bindings afterwards. An update with the same Call-ID and CSeq as the
// binding is a retransmission and applies again; only a lower CSeq is refused.
func (l *Location) Apply(u Update) ([]Binding, error) {
	list, _, err := l.apply(u)
	return list, err
}

// apply is Apply; it also reports whether the update must be stored before
// it is answered (Register): it changed a device, or touched one whose
// change is not stored yet.
func (l *Location) apply(u Update) ([]Binding, bool, error) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	var wait bool
	touch := func(id string, device bool) {
		if l.unstored == nil {
			return
		}
		if device {
			l.gen++
			l.unstored[id] = l.gen
		}
		if _, ok := l.unstored[id]; ok {
			wait = true
		}
	}
	list := l.live(u.AOR, now)
	if u.Wildcard {
		for _, b := range list {
			if b.CallID == u.CallID && u.CSeq < b.CSeq {
				return nil, false, ErrOutOfOrder
			}
		}
		for _, b := range list {
			l.dirty[b.ID] = b.AOR
			touch(b.ID, true)
		}
		for _, b := range l.remoteAOR(u.AOR, now) {
			touch(b.ID, true)
		}
		l.forgetRemote(u.AOR, "")
		delete(l.byAOR, u.AOR)
		if len(list) > 0 {
			l.notify()
		}
		l.signal()
		return nil, wait, nil
	}
	// Check every contact before changing any, so a refused REGISTER changes nothing.
	for _, c := range u.Contacts {
		id := bindingID(u.AOR, c)
		if i := slices.IndexFunc(list, func(b *Binding) bool { return b.ID == id }); i >= 0 &&
			list[i].CallID == u.CallID && u.CSeq < list[i].CSeq {
			return nil, false, ErrOutOfOrder
		}
	}
	devices := false // a device came, went or changed
	for _, c := range u.Contacts {
		id := bindingID(u.AOR, c)
		i := slices.IndexFunc(list, func(b *Binding) bool { return b.ID == id })
		if c.Expires == 0 {
			gone := false
			if i >= 0 {
				l.dirty[id] = u.AOR
				list = slices.Delete(list, i, i+1)
				gone = true
			}
			if l.forgetRemote(u.AOR, id) {
				gone = true // registered through another node: its row goes
			}
			devices = devices || gone
			touch(id, gone)
			continue
		}
		b := &Binding{
			ID: id, UserID: u.UserID, AOR: u.AOR, Contact: c.URI, Instance: c.Instance,
			Source: u.Source, Transport: u.Transport, UserAgent: u.UserAgent, NAT: u.NAT,
			Path: u.Path, Node: l.nodeName(), CallID: u.CallID, CSeq: u.CSeq,
			Expires: now.Add(time.Duration(c.Expires) * time.Second), Updated: now,
		}
		b.Since = now
		if i >= 0 && sameDevice(list[i], b) {
			b.Since = list[i].Since
			touch(id, false)
		} else {
			devices = true
			touch(id, true)
		}
		if i >= 0 && sameDevice(list[i], b) && b.Expires.Sub(list[i].stored) < l.slack {
			b.stored = list[i].stored // a plain refresh: the stored row is close enough
		} else {
			b.stored = b.Expires
			l.dirty[id] = u.AOR
		}
		if i >= 0 {
			list[i] = b
			continue
		}
		if len(list) >= l.maxContacts {
			// A phone that rebooted with a new Call-ID must not lock its user
			// out: the device heard from least recently gives way.
			oldest := 0
			for j := range list {
				if list[j].Updated.Before(list[oldest].Updated) {
					oldest = j
				}
			}
			l.dirty[list[oldest].ID] = u.AOR
			touch(list[oldest].ID, true)
			list = slices.Delete(list, oldest, oldest+1)
		}
		list = append(list, b)
	}
	if len(list) == 0 {
		delete(l.byAOR, u.AOR)
	} else {
		l.byAOR[u.AOR] = list
		l.byUser[u.UserID] = u.AOR
	}
	if devices {
		l.notify()
	}
	l.signal()
	return copyBindings(list), wait, nil
}

// Register applies u as Apply does; in node mode, when u changed a device
// (one came, went or changed how it is reached), it returns only once that
// change is in the database, so that a REGISTER answered with 200 survives
// the node's crash. A plain refresh is written behind, within moments: if
// the node dies first, the stored row keeps the expiry of the refresh
// before, so the other nodes reach the phone until then, and a phone that
// refreshes at half its interval or sooner (most do) refreshes again before
// then, through the balancer, on a node that is alive. Waiting for every
// refresh would bound the registrations a node answers by how fast the
// database commits, for little more safety.
func (l *Location) Register(ctx context.Context, u Update) ([]Binding, error) {
	list, wait, err := l.apply(u)
	if err != nil || !wait {
		return list, err
	}
	if err := l.store(ctx); err != nil {
		return nil, fmt.Errorf("store registration of %s: %w", u.AOR, err)
	}
	return list, nil
}

// write is one caller waiting for a write (node mode) and what it found.
type write struct{ err error }

// storeTimeout bounds a write a REGISTER waits for: past it the phone has
// retransmitted several times, and an error answer is better than none.
const storeTimeout = 5 * time.Second

// store returns once a write that began after the call has ended: every
// change made before it is then stored, or the error says why not.
func (l *Location) store(ctx context.Context) error {
	if l.writes == nil {
		return l.Flush(ctx)
	}
	w := &write{}
	l.writes.Do(ctx, w)
	return w.err
}

// writeBatch is the one writer of node mode: writes are one at a time, so
// none can overtake another with older bindings, and a caller of store
// whose change an earlier write took waits for that write to end.
func (l *Location) writeBatch(ctx context.Context, batch []*write) {
	ctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	err := l.Flush(ctx)
	for _, w := range batch {
		w.err = err
	}
}

// writesBeforeAnswer reports whether Register may wait for a database
// write (node mode: a new device's binding is stored before the answer).
func (l *Location) writesBeforeAnswer() bool { return l.writes != nil }

// sameDevice reports whether b is a refresh of old that changes nothing a
// call needs to reach the device.
func sameDevice(old, b *Binding) bool {
	return old.Contact == b.Contact && old.Source == b.Source && old.Transport == b.Transport &&
		old.UserAgent == b.UserAgent && old.NAT == b.NAT && old.UserID == b.UserID && old.Path == b.Path
}

func bindingID(aor string, c ContactUpdate) string {
	if c.Instance != "" {
		return aor + "|" + c.Instance
	}
	return aor + "|" + c.URI
}

// live drops aor's expired bindings and returns the rest; l.mu is held.
func (l *Location) live(aor string, now time.Time) []*Binding {
	list := l.byAOR[aor]
	kept := list[:0]
	for _, b := range list {
		if b.Expires.After(now) {
			kept = append(kept, b)
		} else {
			l.dirty[b.ID] = b.AOR
		}
	}
	if len(kept) < len(list) {
		l.notify()
	}
	clear(list[len(kept):])
	if len(kept) == 0 {
		delete(l.byAOR, aor)
	} else {
		l.byAOR[aor] = kept
	}
	return kept
}

// Lookup returns the live bindings of aor, most recently registered first.
func (l *Location) Lookup(aor string) []Binding {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.withRemote(copyBindings(l.live(aor, now)), l.remoteAOR(aor, now))
	sort.Slice(out, func(i, j int) bool { return out[i].Updated.After(out[j].Updated) })
	return out
}

// Roster returns those of members with a live binding, in the order they
// logged in (the earliest Since of their devices; members' order breaks
// ties), and the channel Changed would return, read under the same lock so
// that no change between the two is missed.
func (l *Location) Roster(members []uint) ([]uint, <-chan struct{}) {
	now := l.now()
	l.mu.Lock()
	type entry struct {
		user  uint
		since time.Time
	}
	var in []entry
	for _, m := range members {
		var first time.Time
		for _, b := range l.remoteUser(m, now) { // other nodes' devices (node mode)
			if first.IsZero() || b.Since.Before(first) {
				first = b.Since
			}
		}
		if aor, ok := l.byUser[m]; ok {
			for _, b := range l.live(aor, now) {
				if b.UserID == m && (first.IsZero() || b.Since.Before(first)) {
					first = b.Since
				}
			}
		}
		if !first.IsZero() {
			in = append(in, entry{m, first})
		}
	}
	changed := l.changed // after live(), which may have replaced it
	l.mu.Unlock()
	slices.SortStableFunc(in, func(a, b entry) int { return a.since.Compare(b.since) })
	out := make([]uint, len(in))
	for i, e := range in {
		out[i] = e.user
	}
	return out, changed
}

// HasSource reports whether one of aor's live bindings was registered from
// the IP address ip: a device the user already has, not a new one.
func (l *Location) HasSource(aor string, ip netip.Addr) bool {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, b := range l.live(aor, now) {
		if sourceAddr(b.Source) == ip {
			return true
		}
	}
	return false
}

// All returns every live binding, ordered by AOR then contact.
func (l *Location) All() []Binding {
	now := l.now()
	l.mu.Lock()
	var out []Binding
	for aor := range l.byAOR {
		out = append(out, copyBindings(l.live(aor, now))...)
	}
	out = l.withRemote(out, l.remoteAll(now))
	l.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].AOR != out[j].AOR {
			return out[i].AOR < out[j].AOR
		}
		return out[i].Contact < out[j].Contact
	})
	return out
}

// Count returns the number of live bindings.
func (l *Location) Count() int {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, list := range l.byAOR {
		for _, b := range list {
			if b.Expires.After(now) {
				n++
			}
		}
	}
	return n
}

// Expire drops bindings whose time has run out.
func (l *Location) Expire() {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	for aor := range l.byAOR {
		l.live(aor, now)
	}
	if len(l.dirty) > 0 {
		l.signal()
	}
}

func (l *Location) signal() {
	select {
	case l.kick <- struct{}{}:
	default:
	}
}

// Run writes changes to the database until ctx ends, then writes what is
// left. Changes are gathered for a moment so that a storm of REGISTERs
// becomes a few batched transactions.
func (l *Location) Run(ctx context.Context) {
	if l.db == nil {
		return
	}
	var refresh <-chan time.Time
	if l.shared != nil {
		t := time.NewTicker(l.shared.every)
		defer t.Stop()
		refresh = t.C
		l.refreshLogged(ctx)
	}
	for {
		select {
		case <-ctx.Done():
			l.flushLogged(context.WithoutCancel(ctx))
			return
		case <-refresh:
			l.refreshLogged(ctx)
		case <-l.kick:
			select {
			case <-ctx.Done():
			case <-time.After(50 * time.Millisecond):
			}
			l.flushLogged(ctx)
		}
	}
}

func (l *Location) flushLogged(ctx context.Context) {
	if err := l.store(ctx); err != nil {
		l.log.Error("persist registrations", "error", err)
	}
}

// Flush writes every pending change now.
func (l *Location) Flush(ctx context.Context) error {
	if l.db == nil {
		return nil
	}
	l.mu.Lock()
	if len(l.dirty) == 0 {
		l.mu.Unlock()
		return nil
	}
	var upserts []Binding
	var deletes []string
	// Only the AORs that changed are looked at, not every binding.
	for id, aor := range l.dirty {
		if i := slices.IndexFunc(l.byAOR[aor], func(b *Binding) bool { return b.ID == id }); i >= 0 {
			upserts = append(upserts, *l.byAOR[aor][i])
		} else {
			deletes = append(deletes, id)
		}
	}
	pending := l.dirty
	l.dirty = make(map[string]string)
	gen := l.gen
	l.mu.Unlock()

	now := l.now()
	err := l.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for chunk := range slices.Chunk(deletes, 500) {
			if l.shared != nil {
				// A tombstone, so the other nodes' reads of what changed
				// see the binding go (locationshared.go).
				tomb := map[string]any{"expires": now, "updated": now, "node": l.shared.node}
				if err := tx.Model(&Binding{}).Where("id IN ? AND expires > ?", chunk, now).Updates(tomb).Error; err != nil {
					return err
				}
				continue
			}
			if err := tx.Where("id IN ?", chunk).Delete(&Binding{}).Error; err != nil {
				return err
			}
		}
		// Small batches: the SQLite driver binds parameters in time that
		// grows faster than the batch.
		for chunk := range slices.Chunk(upserts, 50) {
			if err := tx.Clauses(clause.OnConflict{UpdateAll: true}).Create(&chunk).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		// Keep the changes for the next attempt rather than lose them.
		l.mu.Lock()
		for id, aor := range pending {
			if _, ok := l.dirty[id]; !ok {
				l.dirty[id] = aor
			}
		}
		l.mu.Unlock()
		return err
	}
	if l.unstored != nil {
		l.mu.Lock()
		for id := range pending {
			if g, ok := l.unstored[id]; ok && g <= gen {
				delete(l.unstored, id) // changed again since: still unstored
			}
		}
		l.mu.Unlock()
	}
	return nil
}

func copyBindings(list []*Binding) []Binding {
	out := make([]Binding, len(list))
	for i, b := range list {
		out[i] = *b
	}
	return out
}

package routing

import (
	"context"
	"errors"
	"sync"
	"time"
)

// accountCache keeps recent SIP username lookups in memory, found or not, so
// that a storm of REGISTERs does not queue on the database. Local writes
// clear it at once; entries expire after ttl so that changes made by another
// node sharing the database are seen within that time.
type accountCache struct {
	ttl time.Duration
	now func() time.Time

	mu      sync.RWMutex
	entries map[string]accountEntry
}

type accountEntry struct {
	user  User
	found bool
	at    time.Time
}

func newAccountCache(ttl time.Duration, now func() time.Time) *accountCache {
	return &accountCache{ttl: ttl, now: now, entries: make(map[string]accountEntry)}
}

func (c *accountCache) get(username string) (accountEntry, bool) {
	c.mu.RLock()
	e, ok := c.entries[username]
	c.mu.RUnlock()
	if !ok || c.now().Sub(e.at) > c.ttl {
		return accountEntry{}, false
	}
	return e, true
}

func (c *accountCache) put(username string, e accountEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) > 100_000 {
		// A scanner trying random names must not grow this without bound.
		clear(c.entries)
	}
	c.entries[username] = e
}

func (c *accountCache) clear() {
	c.mu.Lock()
	clear(c.entries)
	c.mu.Unlock()
}

// UserBySIPUsername returns the user who registers as username, or
// ErrNotFound. Answers come from memory when recent.
func (d *Directory) UserBySIPUsername(ctx context.Context, username string) (User, error) {
	if e, ok := d.accounts.get(username); ok {
		if !e.found {
			return User{}, errNoSIPUser(username)
		}
		return e.user, nil
	}
	var u User
	err := d.db.WithContext(ctx).Where("sip_username = ?", username).Take(&u).Error
	switch {
	case err == nil:
		d.accounts.put(username, accountEntry{user: u, found: true, at: d.accounts.now()})
		return u, nil
	case errors.Is(err, errRecordNotFound):
		d.accounts.put(username, accountEntry{at: d.accounts.now()})
		return User{}, errNoSIPUser(username)
	}
	return User{}, err
}

package routing

import (
	"math/rand/v2"
	"sync"
	"time"
)

// cache keeps recent answers in memory, so that calls and REGISTERs do not
// queue on the database for data that rarely changes. Local writes clear
// it at once; entries expire within ttl so that changes another node makes
// to a shared database are seen within that time. Each entry lives a
// random part of ttl beyond its first three quarters, so entries filled
// together (every phone's account, after a clear or at start) do not all
// expire together and send their reads to the database in one wave.
type cache[K comparable, V any] struct {
	ttl time.Duration
	now func() time.Time

	mu      sync.RWMutex
	entries map[K]cacheEntry[V]
	gen     uint64 // counts clears, so an answer read before one is not kept after it
}

type cacheEntry[V any] struct {
	v       V
	expires time.Time
}

func newCache[K comparable, V any](ttl time.Duration, now func() time.Time) *cache[K, V] {
	return &cache[K, V]{ttl: ttl, now: now, entries: make(map[K]cacheEntry[V])}
}

func (c *cache[K, V]) get(k K) (V, bool) {
	c.mu.RLock()
	e, ok := c.entries[k]
	c.mu.RUnlock()
	if !ok || c.now().After(e.expires) {
		var zero V
		return zero, false
	}
	return e.v, true
}

// generation returns the count of clears so far, to pass to putIf.
func (c *cache[K, V]) generation() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.gen
}

// putIf keeps v unless the cache was cleared since generation returned
// gen: the answer may predate the change that cleared it.
func (c *cache[K, V]) putIf(gen uint64, k K, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen == gen {
		c.store(k, v)
	}
}

// store keeps v; c.mu is held.
func (c *cache[K, V]) store(k K, v V) {
	if len(c.entries) > 100_000 {
		// A scanner trying random names must not grow this without bound.
		clear(c.entries)
	}
	life := c.ttl - time.Duration(rand.Int64N(int64(c.ttl/4)+1))
	c.entries[k] = cacheEntry[V]{v: v, expires: c.now().Add(life)}
}

func (c *cache[K, V]) clear() {
	c.mu.Lock()
	clear(c.entries)
	c.gen++
	c.mu.Unlock()
}

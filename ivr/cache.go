package ivr

import (
	"container/list"
	"time"

	"pbx/media"
)

// clipCache keeps decoded prompts, and for a few seconds the failures to
// load them, least recently used first out. It is bounded by entries and by
// the memory the clips hold. Its owner locks it.
type clipCache struct {
	maxEntries int
	maxBytes   int64
	bytes      int64
	order      *list.List // of *cacheEntry, most recently used first
	items      map[string]*list.Element
}

type cacheEntry struct {
	key     string
	clip    *media.Clip
	err     error
	expires time.Time // zero: kept until evicted
	bytes   int64
}

func newClipCache(maxEntries int, maxBytes int64) *clipCache {
	return &clipCache{maxEntries: maxEntries, maxBytes: maxBytes, order: list.New(), items: map[string]*list.Element{}}
}

// clipBytes is the memory a clip holds: 16-bit PCM and two G.711 encodings.
func clipBytes(c *media.Clip) int64 {
	if c == nil {
		return 0
	}
	return int64(c.Len()) * 4
}

// get returns the entry for key unless it has expired.
func (c *clipCache) get(key string, now time.Time) (*cacheEntry, bool) {
	el, ok := c.items[key]
	if !ok {
		return nil, false
	}
	e := el.Value.(*cacheEntry)
	if !e.expires.IsZero() && !now.Before(e.expires) {
		c.removeElement(el)
		return nil, false
	}
	c.order.MoveToFront(el)
	return e, true
}

// put stores a clip or a failure under key, evicting the least recently used
// entries beyond the bounds. A clip bigger than the whole budget is not kept.
func (c *clipCache) put(key string, clip *media.Clip, err error, expires time.Time) {
	c.remove(key)
	e := &cacheEntry{key: key, clip: clip, err: err, expires: expires, bytes: clipBytes(clip)}
	if e.bytes > c.maxBytes {
		return
	}
	c.items[key] = c.order.PushFront(e)
	c.bytes += e.bytes
	for c.order.Len() > c.maxEntries || c.bytes > c.maxBytes {
		c.removeElement(c.order.Back())
	}
}

func (c *clipCache) remove(key string) {
	if el, ok := c.items[key]; ok {
		c.removeElement(el)
	}
}

func (c *clipCache) removeElement(el *list.Element) {
	e := c.order.Remove(el).(*cacheEntry)
	delete(c.items, e.key)
	c.bytes -= e.bytes
}

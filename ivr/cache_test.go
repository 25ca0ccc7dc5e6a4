package ivr

import (
	"errors"
	"testing"
	"time"

	"pbx/media"
)

func TestCacheBounds(t *testing.T) {
	now := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	clip := media.NewClip(make([]int16, 100)) // 400 bytes
	c := newClipCache(3, 1000)
	c.put("a", clip, nil, time.Time{})
	c.put("b", clip, nil, time.Time{})
	c.get("a", now) // b is now the least recently used
	c.put("c", clip, nil, time.Time{})
	if _, ok := c.get("b", now); ok {
		t.Fatal("over the memory bound, the least recently used clip was kept")
	}
	c.put("fail1", nil, errors.New("x"), now.Add(time.Second))
	c.put("fail2", nil, errors.New("y"), now.Add(time.Second))
	if _, ok := c.get("a", now); ok {
		t.Fatal("over the entry bound, the least recently used clip was kept")
	}
	if e, ok := c.get("fail1", now); !ok || e.err == nil {
		t.Fatal("a failure was not kept")
	}
	if _, ok := c.get("fail1", now.Add(time.Second)); ok {
		t.Fatal("an expired failure was served")
	}
	c.put("huge", media.NewClip(make([]int16, 1000)), nil, time.Time{})
	if _, ok := c.get("huge", now); ok || c.bytes > c.maxBytes {
		t.Fatalf("a clip over the whole budget was kept (%d bytes held)", c.bytes)
	}
	c.remove("c")
	c.remove("fail2")
	if c.order.Len() != 0 || len(c.items) != 0 || c.bytes != 0 {
		t.Fatalf("after removing everything: %d entries, %d bytes", c.order.Len(), c.bytes)
	}
}

package routing

import (
	"testing"
	"time"
)

func TestCacheKeepsNoAnswerReadBeforeAClear(t *testing.T) {
	now := time.Unix(0, 0)
	c := newCache[string, int](time.Minute, func() time.Time { return now })
	gen := c.generation()
	c.clear() // a change lands while the answer is being read
	c.putIf(gen, "k", 1)
	if _, ok := c.get("k"); ok {
		t.Fatal("an answer read before a clear was kept after it")
	}
	c.putIf(c.generation(), "k", 2)
	if v, ok := c.get("k"); !ok || v != 2 {
		t.Fatalf("get = %v, %v; want 2, true", v, ok)
	}
	now = now.Add(2 * time.Minute)
	if _, ok := c.get("k"); ok {
		t.Fatal("an expired answer was returned")
	}
}

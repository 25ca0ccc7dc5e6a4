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

// Entries filled together expire spread over the last quarter of the ttl,
// never past it, so their database reads do not come back in one wave.
func TestCacheSpreadsExpiry(t *testing.T) {
	start := time.Unix(0, 0)
	now := start
	c := newCache[int, int](40*time.Second, func() time.Time { return now })
	for k := range 1000 {
		c.putIf(c.generation(), k, k)
	}
	alive := func() (n int) {
		for k := range 1000 {
			if _, ok := c.get(k); ok {
				n++
			}
		}
		return n
	}
	for _, step := range []struct {
		at       time.Duration
		min, max int
	}{
		{30 * time.Second, 1000, 1000}, // three quarters: all kept
		{35 * time.Second, 300, 700},   // half the spread gone, about half left
		{40*time.Second + time.Nanosecond, 0, 0},
	} {
		now = start.Add(step.at)
		if n := alive(); n < step.min || n > step.max {
			t.Fatalf("after %v: %d of 1000 entries alive, want %d..%d", step.at, n, step.min, step.max)
		}
	}
}

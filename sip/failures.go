package sip

import (
	"sync"
	"time"
)

// failures counts failures per key (a source address, an account) within a
// window and bars a key that fails max times in one, for a while: the core
// the Guard and the Lockout share.
type failures struct {
	max    int // 0: nothing is barred (failures are not counted)
	window time.Duration
	bar    time.Duration
	limit  int // keys counted at once
	now    func() time.Time

	mu   sync.Mutex
	keys map[string]*failEntry
}

type failEntry struct {
	count       int
	windowStart time.Time
	barredUntil time.Time
}

func newFailures(max int, window, bar time.Duration, limit int, now func() time.Time) failures {
	return failures{max: max, window: window, bar: bar, limit: limit, now: now, keys: make(map[string]*failEntry)}
}

// barred reports whether key is barred now.
func (f *failures) barred(key string) bool {
	if f.max == 0 {
		return false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	e, ok := f.keys[key]
	return ok && f.now().Before(e.barredUntil)
}

// fail counts a failure of key and reports whether it barred the key. When
// limit keys are counted already and none has run out, the failure is not
// counted: a flood of keys cannot grow the table, only wait for room.
func (f *failures) fail(key string) (barred bool) {
	if f.max == 0 {
		return false
	}
	now := f.now()
	f.mu.Lock()
	defer f.mu.Unlock()
	e, ok := f.keys[key]
	if !ok {
		if len(f.keys) >= f.limit {
			f.sweepLocked(now)
		}
		if len(f.keys) >= f.limit {
			return false
		}
		e = &failEntry{windowStart: now}
		f.keys[key] = e
	}
	if now.Sub(e.windowStart) > f.window {
		e.count, e.windowStart = 0, now
	}
	e.count++
	if e.count >= f.max && !now.Before(e.barredUntil) {
		e.barredUntil = now.Add(f.bar)
		e.count = 0
		return true
	}
	return false
}

// sweep forgets the keys whose window and bar have both run out.
func (f *failures) sweep() {
	now := f.now()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sweepLocked(now)
}

func (f *failures) sweepLocked(now time.Time) {
	for k, e := range f.keys {
		if now.Sub(e.windowStart) > f.window && !now.Before(e.barredUntil) {
			delete(f.keys, k)
		}
	}
}

// barredCount returns how many keys are barred now.
func (f *failures) barredCount() int {
	now := f.now()
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, e := range f.keys {
		if now.Before(e.barredUntil) {
			n++
		}
	}
	return n
}

// tracked returns how many keys are counted now.
func (f *failures) tracked() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.keys)
}

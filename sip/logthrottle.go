package sip

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// throttle passes at most perSecond log records a second to the handler
// it wraps and drops the rest, saying how many it dropped with the next
// record it passes. sipgo logs every packet it cannot parse, with the
// packet; a flood of junk must not become a flood of log lines.
type throttle struct {
	slog.Handler
	perSecond int
	now       func() time.Time

	mu      *sync.Mutex
	window  *time.Time
	count   *int
	dropped *int
}

func newThrottle(h slog.Handler, perSecond int, now func() time.Time) *throttle {
	return &throttle{Handler: h, perSecond: perSecond, now: now,
		mu: &sync.Mutex{}, window: new(time.Time), count: new(int), dropped: new(int)}
}

func (t *throttle) Handle(ctx context.Context, r slog.Record) error {
	t.mu.Lock()
	now := t.now()
	if now.Sub(*t.window) >= time.Second {
		*t.window, *t.count = now, 0
	}
	if *t.count >= t.perSecond {
		*t.dropped++
		t.mu.Unlock()
		return nil
	}
	*t.count++
	dropped := *t.dropped
	*t.dropped = 0
	t.mu.Unlock()
	if dropped > 0 {
		r.AddAttrs(slog.Int("log_records_dropped", dropped))
	}
	return t.Handler.Handle(ctx, r)
}

func (t *throttle) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *t
	c.Handler = t.Handler.WithAttrs(attrs)
	return &c // shares the counters: one budget for all of sipgo
}

func (t *throttle) WithGroup(name string) slog.Handler {
	c := *t
	c.Handler = t.Handler.WithGroup(name)
	return &c
}

// Package groupcommit writes work that arrives at the same moment together:
// the first caller writes, and whoever comes while it writes waits and is
// written in the next batch, by one of them. Under load a database then
// commits one transaction per batch instead of one per caller; alone, a
// caller is written at once, with no timer to wait for.
package groupcommit

import (
	"context"
	"sync"
)

// Committer batches items of type T (usually pointers that carry their
// own result) for one write function. The zero value is not usable: use New.
type Committer[T any] struct {
	max   int
	write func(ctx context.Context, batch []T)

	mu      sync.Mutex
	pending []*item[T]
	writing bool
}

type item[T any] struct {
	v    T
	lead chan struct{} // handed the writing
	done chan struct{} // closed once written
}

// New returns a Committer that hands write at most max items at a time.
// write must decide every item of its batch (an item's own result field,
// say); it is called with a context that is not cancelled with the
// caller's, since the batch holds other callers' work.
func New[T any](max int, write func(ctx context.Context, batch []T)) *Committer[T] {
	return &Committer[T]{max: max, write: write}
}

// Do adds v to the next batch and returns once a write of it returned.
func (c *Committer[T]) Do(ctx context.Context, v T) {
	it := &item[T]{v: v, lead: make(chan struct{}, 1), done: make(chan struct{})}
	c.mu.Lock()
	c.pending = append(c.pending, it)
	if !c.writing {
		c.writing = true
		it.lead <- struct{}{}
	}
	c.mu.Unlock()
	select {
	case <-it.done:
	case <-it.lead:
		c.writeBatch(ctx)
		<-it.done
	}
}

// writeBatch writes what waits now (the caller's item first among them),
// then hands the writing to the first item that came meanwhile.
func (c *Committer[T]) writeBatch(ctx context.Context) {
	c.mu.Lock()
	n := min(len(c.pending), c.max)
	batch := c.pending[:n:n]
	c.pending = c.pending[n:]
	c.mu.Unlock()

	vs := make([]T, len(batch))
	for i, it := range batch {
		vs[i] = it.v
	}
	c.write(context.WithoutCancel(ctx), vs)
	for _, it := range batch {
		close(it.done)
	}
	c.mu.Lock()
	if len(c.pending) > 0 {
		c.pending[0].lead <- struct{}{}
	} else {
		c.writing = false
	}
	c.mu.Unlock()
}

package groupcommit

import (
	"context"
	"sync"
	"testing"
)

type job struct {
	n       int
	batchOf int // the size of the batch it was written in
}

func TestConcurrentItemsShareBatches(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	first := true
	var writes int
	c := New(64, func(_ context.Context, batch []*job) {
		writes++
		if first {
			// Hold the first write until everyone else is waiting.
			first = false
			close(started)
			<-release
		}
		for _, j := range batch {
			j.batchOf = len(batch)
		}
	})
	jobs := make([]*job, 101)
	var wg sync.WaitGroup
	for i := range jobs {
		jobs[i] = &job{n: i}
	}
	wg.Go(func() { c.Do(context.Background(), jobs[0]) })
	<-started
	for _, j := range jobs[1:] {
		wg.Go(func() { c.Do(context.Background(), j) })
	}
	for c.waiting() < 100 {
	}
	close(release)
	wg.Wait()
	if writes != 3 { // the first alone, then 64, then 36
		t.Fatalf("%d writes for 101 items arriving together, want 3", writes)
	}
	for _, j := range jobs {
		if j.batchOf == 0 {
			t.Fatalf("item %d was never written", j.n)
		}
	}
	if jobs[0].batchOf != 1 {
		t.Fatalf("the first item was written in a batch of %d, want alone", jobs[0].batchOf)
	}
}

func TestAloneIsWrittenAtOnce(t *testing.T) {
	var got []int
	c := New(8, func(_ context.Context, batch []int) { got = append(got, batch...) })
	for i := range 3 {
		c.Do(context.Background(), i)
	}
	if len(got) != 3 || got[0] != 0 || got[2] != 2 {
		t.Fatalf("written %v, want [0 1 2] in order", got)
	}
}

func TestCancelledCallerStillWritesTheBatch(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var seen error
	c := New(8, func(ctx context.Context, _ []int) { seen = ctx.Err() })
	c.Do(ctx, 1)
	if seen != nil {
		t.Fatalf("the write saw the caller's cancellation: %v", seen)
	}
}

func (c *Committer[T]) waiting() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pending)
}

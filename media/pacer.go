package media

import (
	"sync"
	"syscall"
	"time"
)

// tick is the pacer's resolution: every Play starts on a whole millisecond.
const tick = time.Millisecond

// phases is the number of ticks in a frame.
const phases = int(Frame / tick)

// pacer sends the packets of every playing Player from one goroutine that
// wakes once a millisecond while anything plays. A Play starts on a whole
// millisecond and sends a packet every 20 ms from then on, so it keeps one
// phase, the millisecond of the 20 ms cycle its packets fall on; the pacer
// keeps Players in a wheel by phase and serves at each tick only that
// tick's slot.
//
// One wake-up a millisecond serves any number of calls, on time: the Go
// runtime wakes timers up to a millisecond late, so a timer per call would
// put most packets hundreds of microseconds off their schedule, and cost a
// wake-up per packet. The pacer sleeps with nanosleep, which the kernel's
// high-resolution timers end within tens of microseconds. Its goroutine
// runs only while something plays.
type pacer struct {
	now func() time.Time

	mu      sync.Mutex
	wheel   [phases][]*Player
	playing int
	running bool
	served  int64 // the last tick served, in milliseconds since 1970
}

var (
	shared     *pacer
	sharedOnce sync.Once
)

// sharedPacer returns the process's pacer. One serves every call: with a
// pacer per CPU the pacers woke on the same tick and competed, and the
// slowest packets went out later (BenchmarkPlayerLateness, 2 cores: p99
// 0.64 ms with two, 0.35 ms with one).
func sharedPacer() *pacer {
	sharedOnce.Do(func() { shared = &pacer{now: time.Now} })
	return shared
}

// add puts p, whose start is set, in the wheel. A start whose tick is
// already served (a Play right after the one it follows) has its first
// packet sent at once.
func (pc *pacer) add(p *Player) {
	start := p.start.UnixMilli()
	phase := int(start % int64(phases))
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if start <= pc.served {
		st := p.send(pc.now)
		if st == over {
			p.done <- struct{}{}
			return
		}
	}
	pc.wheel[phase] = append(pc.wheel[phase], p)
	pc.playing++
	if !pc.running {
		pc.running = true
		go pc.run()
	}
}

// remove takes p out of the wheel, if it is still there; once it returns
// the pacer no longer touches p, and p.done is empty.
func (pc *pacer) remove(p *Player) {
	phase := int(p.start.UnixMilli() % int64(phases))
	pc.mu.Lock()
	defer pc.mu.Unlock()
	slot := pc.wheel[phase]
	for i, q := range slot {
		if q == p {
			pc.drop(phase, i)
			return
		}
	}
	<-p.done // it finished as it was cancelled
}

// drop removes the Player at i of slot phase; the order of a slot does not
// matter. The caller holds mu.
func (pc *pacer) drop(phase, i int) {
	slot := pc.wheel[phase]
	last := len(slot) - 1
	slot[i], slot[last] = slot[last], nil
	pc.wheel[phase] = slot[:last]
	pc.playing--
}

func (pc *pacer) run() {
	for {
		pc.mu.Lock()
		if pc.playing == 0 {
			pc.running = false
			pc.mu.Unlock()
			return
		}
		next := time.UnixMilli(pc.served + 1)
		pc.mu.Unlock()
		// The next tick not yet served: when a tick's sends ran past the
		// following one, that one is served at once rather than a whole
		// tick late.
		if d := next.Sub(pc.now()); d > 0 {
			ts := syscall.NsecToTimespec(int64(d))
			syscall.Nanosleep(&ts, nil)
		}
		pc.serve(pc.now())
	}
}

// serve sends what is due at now: the slot of this tick, and of the ticks
// missed since the last call, up to a whole cycle. A Player behind its
// schedule sends every frame that is due, catching up at once.
func (pc *pacer) serve(now time.Time) {
	cur := now.UnixMilli()
	pc.mu.Lock()
	defer pc.mu.Unlock()
	for t := max(pc.served+1, cur-int64(phases)+1); t <= cur; t++ {
		phase := int(t % int64(phases))
		for i := 0; i < len(pc.wheel[phase]); {
			p := pc.wheel[phase][i]
			st := p.send(pc.now)
			for st == sent {
				st = p.send(pc.now)
			}
			if st == notDue {
				i++
				continue
			}
			pc.drop(phase, i)
			p.done <- struct{}{}
		}
	}
	pc.served = cur
}

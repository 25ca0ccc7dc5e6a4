package media

import (
	"runtime"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// tick is the pacer's resolution: every Play starts on a whole tick.
const tick = 500 * time.Microsecond

// realtimePriority is the pacer thread's SCHED_FIFO priority: low among
// real-time threads, above every normal one.
const realtimePriority = 10

// lingerTicks is how long the pacer's goroutine waits with nothing to play
// before it ends: the next prompt often follows at once, and a new
// goroutine is a new thread.
const lingerTicks = int(200 * time.Millisecond / tick)

// phases is the number of ticks in a frame.
const phases = int(Frame / tick)

// pacer sends the packets of every playing Player from one goroutine that
// wakes every tick (half a millisecond) while anything plays. A Play starts
// on a whole tick and sends a packet every 20 ms from then on, so it keeps
// one phase, the tick of the 20 ms cycle its packets fall on; the pacer
// keeps Players in a wheel by phase and serves at each tick only that
// tick's slot.
//
// One wake-up a tick serves any number of calls, on time: the Go runtime
// wakes timers up to a millisecond late, so a timer per call would put most
// packets hundreds of microseconds off their schedule, and cost a wake-up
// per packet. The pacer sleeps with nanosleep, which the kernel's
// high-resolution timers end within tens of microseconds. A packet's
// lateness is then mostly the sends ahead of it in its slot: half-
// millisecond ticks split a 20 ms cycle's calls over 40 slots (1 ms ticks:
// p99 0.34 ms for 500 players on 2 cores in BenchmarkPlayerLateness; half:
// 0.20 ms; a quarter: 0.16 ms, but p99.9 over 1 ms). Its goroutine runs
// only while something plays.
type pacer struct {
	now func() time.Time

	mu      sync.Mutex
	wheel   [phases][]*Player
	playing int
	running bool
	served  int64 // the last tick served, in ticks since 1970
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

// slot returns the start, from earliest on and within a frame of it, of the
// slot with the fewest Players, the earliest of those. Calls tend to start
// their prompts in bunches (a carrier's burst of calls, a flow's steps
// timed alike); spread over the slots, the packets of one tick stay few and
// each goes out soon after its time.
func (pc *pacer) slot(earliest time.Time) time.Time {
	first := ticks(earliest)
	pc.mu.Lock()
	defer pc.mu.Unlock()
	best, fewest := first, len(pc.wheel[first%int64(phases)])
	for t := first + 1; t < first+int64(phases) && fewest > 0; t++ {
		if n := len(pc.wheel[t%int64(phases)]); n < fewest {
			best, fewest = t, n
		}
	}
	return time.Unix(0, best*int64(tick))
}

// add puts p, whose start is set, in the wheel. A start whose tick is
// already served (a Play right after the one it follows) has its first
// packet sent at once.
func (pc *pacer) add(p *Player) {
	start := ticks(p.start)
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
	pc.mu.Lock()
	defer pc.mu.Unlock()
	// Under the lock: send moves p.start forward when it runs late.
	phase := int(ticks(p.start) % int64(phases))
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
	// The pacer's thread asks for real-time scheduling, so that other
	// processes on the machine (and the PBX's own threads) do not delay a
	// tick by a slice of theirs. It is never unlocked: the thread ends with
	// the goroutine, and its priority with it. Without the privilege
	// (CAP_SYS_NICE) the pacer runs at normal priority.
	runtime.LockOSThread()
	unix.SchedSetAttr(0, &unix.SchedAttr{Policy: unix.SCHED_FIFO, Priority: realtimePriority}, 0)
	var idle int
	for {
		pc.mu.Lock()
		if pc.playing > 0 {
			idle = 0
		} else if idle++; idle > lingerTicks {
			pc.running = false
			pc.mu.Unlock()
			return
		}
		next := time.Unix(0, (pc.served+1)*int64(tick))
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
	cur := ticks(now)
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

// ticks returns the ticks from 1970 to t.
func ticks(t time.Time) int64 { return t.UnixNano() / int64(tick) }

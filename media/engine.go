package media

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// engine reads the RTP socket of every open Session from one thread: an
// epoll loop that takes each datagram as it arrives and hands it, on that
// thread, to whatever consumes the Session (a Relay's direction, a
// Listener), which must not block.
//
// With a goroutine per Session reading through the Go runtime's poller, a
// relayed packet cost a poller wake-up, a goroutine switch and a second
// read that found nothing, on top of its one read and one send; and under
// load it waited for a runtime thread behind everything else the process
// and the machine were doing. Here a packet costs its read and its send,
// and one wake-up serves every socket that is ready. The loop's thread asks
// for real-time priority, as the pacer's does, so that a packet waits for
// no other process's slice of the CPU.
//
// The sockets are the engine's own (not the Go runtime's, whose poller
// would otherwise wake for each datagram too). The loop runs while any
// Session is open; the last Close stops it.
//
// The price is paid when the machine is idle: a lone packet waits for the
// thread to come back from epoll_wait and take a runtime processor, about
// 45 µs more than a goroutine woken by the runtime's poller
// (BenchmarkRelayLoopback's round trip: 15 µs before, 60 µs now). Under
// load the thread keeps its processor and one wake-up serves many packets:
// at 500 recorded calls on 2 cores the hold went from p50 355 µs, p99
// 10.9 ms to p50 18 µs, p99 0.23 ms, at 80% CPU instead of 93%; from a
// carrier paced like a real one, p50 40 µs, p99 0.12-0.2 ms (bench/media).
// One thread relays a burst one packet after another, about 10 µs each: a
// starved carrier's bursts of 500 packets took the p99 to 1.8 ms. A loop
// parked in the runtime's poller instead (the epoll set watched as a file)
// gave the idle latency back but, as one busy goroutine among the
// recorders' writers, waited up to 200 ms for its turn.
//
// Under load the loop gathers packets before it waits again, as a network
// card coalesces its interrupts: after a batch of fewer than a few dozen
// ready sockets it sleeps for coalesce, so the next wake-up serves the
// packets that arrived meanwhile instead of one or two. A third of the
// relay's CPU was the thread going to sleep in epoll_wait and being woken,
// packet after packet: at 1,000 relayed calls the PBX now uses 61% CPU
// instead of 70%, and holds a packet p50 176 µs instead of 30 µs, p99
// 0.46 ms (0.6-2.5 ms before: the rig's own noise; bench/media). A packet
// that finds the loop asleep in epoll_wait (a lone call's, 20 ms after the
// last) is read at once: the sleep follows a batch and delays only what
// arrives within it. BenchmarkRelayLoopback's ping-pong, whose answer
// always does, went from 60 to 157 µs a round trip.
type engine struct {
	// mu guards the fields below. The loop holds it while it handles a batch
	// of ready sockets, so whoever takes it knows no packet is being handed
	// to a consumer (see Session.detach).
	mu       sync.Mutex
	epfd     int           // the running loop's epoll instance; -1 when none runs
	stop     int           // an eventfd in that set: written to end the loop
	done     chan struct{} // closed when the loop ends
	sessions map[int32]*Session
}

// coalesce is how long the loop lets packets gather after a small batch:
// far below what a jitter buffer absorbs (20-60 ms), long enough that a
// busy relay serves tens of packets a wake-up.
const coalesce = 100 * time.Microsecond

var theEngine = &engine{epfd: -1, sessions: make(map[int32]*Session)}

// add registers s's socket, starting the loop if none runs.
func (e *engine) add(s *Session) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.epfd < 0 {
		epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
		if err != nil {
			return fmt.Errorf("media engine: epoll: %w", err)
		}
		stop, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
		if err == nil {
			err = unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, stop, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(stop)})
		}
		if err != nil {
			unix.Close(epfd)
			if stop >= 0 {
				unix.Close(stop)
			}
			return fmt.Errorf("media engine: eventfd: %w", err)
		}
		e.epfd, e.stop, e.done = epfd, stop, make(chan struct{})
		go e.run(epfd, stop, e.done)
	}
	// Level-triggered: the loop reads one datagram per socket per wake-up,
	// and a socket with more queued is reported again at once.
	if err := unix.EpollCtl(e.epfd, unix.EPOLL_CTL_ADD, s.fd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(s.fd)}); err != nil {
		return fmt.Errorf("media engine: watch socket: %w", err)
	}
	e.sessions[int32(s.fd)] = s
	return nil
}

// remove unregisters s's socket, which the caller closes after; once it
// returns the loop no longer touches s. The last one out stops the loop and
// waits for it to end.
func (e *engine) remove(s *Session) {
	e.mu.Lock()
	if e.sessions[int32(s.fd)] != s {
		e.mu.Unlock()
		return
	}
	delete(e.sessions, int32(s.fd))
	unix.EpollCtl(e.epfd, unix.EPOLL_CTL_DEL, s.fd, nil)
	if len(e.sessions) > 0 {
		e.mu.Unlock()
		return
	}
	epfd, stop, done := e.epfd, e.stop, e.done
	e.epfd, e.stop, e.done = -1, -1, nil
	var one [8]byte
	one[0] = 1 // eventfd counters are host-endian; every Linux target is little-endian
	unix.Write(stop, one[:])
	e.mu.Unlock()
	<-done
	unix.Close(epfd)
	unix.Close(stop)
}

// sync returns once no packet is being handed to a consumer: one taken
// before it was called has been handled.
func (e *engine) sync() {
	e.mu.Lock()
	e.mu.Unlock()
}

func (e *engine) run(epfd, stop int, done chan struct{}) {
	defer close(done)
	// The loop's thread asks for real-time scheduling, like the pacer's,
	// and is never unlocked: the thread ends with the loop, and its priority
	// with it. Without the privilege (CAP_SYS_NICE) the loop runs at normal
	// priority.
	runtime.LockOSThread()
	unix.SchedSetAttr(0, &unix.SchedAttr{Policy: unix.SCHED_FIFO, Priority: realtimePriority}, 0)
	events := make([]unix.EpollEvent, 256)
	buf := make([]byte, MaxPacket)
	for {
		n, err := unix.EpollWait(epfd, events, -1)
		if err != nil {
			if errors.Is(err, unix.EINTR) {
				continue
			}
			panic(fmt.Sprintf("media engine: epoll_wait: %v", err)) // only a bad epfd: a bug here
		}
		e.mu.Lock()
		for _, ev := range events[:n] {
			if int(ev.Fd) == stop {
				e.mu.Unlock()
				return
			}
			// A socket closed since epoll_wait returned is gone from the
			// map; its number reused by a new one reads nothing (EAGAIN).
			if s := e.sessions[ev.Fd]; s != nil {
				s.readOne(buf)
			}
		}
		e.mu.Unlock()
		if n < len(events)/8 {
			// A small batch: let the next packets gather (see coalesce).
			unix.Nanosleep(&unix.Timespec{Nsec: coalesce.Nanoseconds()}, nil)
		}
	}
}

package media

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/zaf/g711"
)

// Stats counts one direction of a Relay.
type Stats struct {
	Packets uint64    // RTP packets relayed
	Bytes   uint64    // bytes relayed, RTP headers included
	Lost    uint64    // packets missing by sequence number (reordered ones count as lost)
	Dropped uint64    // received but not relayed: a payload type the other leg did not negotiate
	Last    time.Time // when the last RTP packet arrived; zero if none did
}

// Relay bridges two Sessions: RTP read on A is written to B and the other
// way round. Packets pass unchanged when both legs negotiated the same codec;
// the payload type number is rewritten where the legs numbered the same
// format differently (telephone-event is the usual case), and PCMU and PCMA
// are transcoded into each other in place. RFC 4733 events are relayed as
// they are, or dropped if the other leg did not negotiate telephone-event.
// Formats come from each Session's SetFormat at NewRelay; a leg without one
// gets everything unchanged. After a re-INVITE changes a format, close the
// Relay and start another.
//
// A Recorder set with SetRecorder hears each leg as it was received; Mute
// keeps one leg from hearing the other, so a Player can play to it.
//
// A Relay consumes both Sessions: the media engine hands it each packet as
// it arrives, and it sends the packet on at once, on the engine's thread.
// One goroutine watches for dead media. Close stops both. It does not close
// the Sessions, which belong to the call and may go on to play prompts or
// join another Relay.
type Relay struct {
	a, b    *Session
	ab, ba  *direction
	start   time.Time
	timeout time.Duration
	rec     atomic.Pointer[Recorder]

	hold    atomic.Bool
	resumed atomic.Int64 // nanoseconds after start when hold last ended

	dead     chan struct{}
	quit     chan struct{}
	watching sync.WaitGroup
	close    sync.Once
}

// NewRelay starts relaying between a and b. When timeout is positive and no
// RTP arrives in either direction for that long, outside hold, the channel
// returned by Dead is closed; the Relay goes on relaying, and the call's
// owner decides to hang up (with ErrDeadMedia as the cause).
func NewRelay(a, b *Session, timeout time.Duration) *Relay {
	r := &Relay{a: a, b: b, start: time.Now(), timeout: timeout, dead: make(chan struct{}), quit: make(chan struct{})}
	fa, fb := a.Format(), b.Format()
	r.ab = newDirection(r, a, b, fa, fb)
	r.ba = newDirection(r, b, a, fb, fa)
	r.ba.ch = 1
	r.ab.consumer = a.attach(r.ab.receive)
	r.ba.consumer = b.attach(r.ba.receive)
	if timeout > 0 {
		r.watching.Add(1)
		go r.watch()
	}
	return r
}

// Dead is closed when neither leg sent RTP for the timeout.
func (r *Relay) Dead() <-chan struct{} { return r.dead }

// SetHold pauses the dead-media check while a leg is on hold (sendonly or
// inactive streams legitimately go quiet) and restarts its clock on resume.
func (r *Relay) SetHold(on bool) {
	if !on && r.hold.Load() {
		r.resumed.Store(int64(time.Since(r.start)))
	}
	r.hold.Store(on)
}

// SetRecorder starts recording the call to rec, A (the caller) on channel
// 0 and B (the agent) on channel 1, each leg's audio as it arrives; nil
// stops. It may be called while relaying. A packet being relayed as it is
// called may still reach the previous Recorder, which ignores packets once
// closed.
func (r *Relay) SetRecorder(rec *Recorder) { r.rec.Store(rec) }

// Mute stops (on) or resumes relaying to the leg to, which is A or B: its
// packets are still counted and recorded, but not sent, so a Player can send
// on that leg alone (hold music while the agent has the caller on hold).
func (r *Relay) Mute(to *Session, on bool) {
	switch to {
	case r.b:
		r.ab.mute.Store(on)
	case r.a:
		r.ba.mute.Store(on)
	}
}

// Stats returns the counters of each direction.
func (r *Relay) Stats() (aToB, bToA Stats) { return r.ab.stats(r.start), r.ba.stats(r.start) }

// Close stops relaying: once it returns, no packet is relayed or recorded
// by r. The Sessions stay open.
func (r *Relay) Close() error {
	r.close.Do(func() {
		r.a.detach(r.ab.consumer)
		r.b.detach(r.ba.consumer)
		close(r.quit)
		r.watching.Wait()
	})
	return nil
}

func (r *Relay) watch() {
	defer r.watching.Done()
	tick := min(max(r.timeout/10, 10*time.Millisecond), time.Second)
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-r.quit:
			return
		case <-t.C:
		}
		if r.hold.Load() {
			continue
		}
		heard := max(r.ab.last.Load(), r.ba.last.Load(), r.resumed.Load())
		if time.Since(r.start)-time.Duration(heard) >= r.timeout {
			close(r.dead)
			return
		}
	}
}

// transcode modes
const (
	keep uint8 = iota
	ulawToAlaw
	alawToUlaw
)

// direction is one way of a Relay; its fields below the counters belong to
// the engine's loop, which hands it packets one at a time, so the packet
// path takes no lock of its own.
type direction struct {
	r        *Relay
	from, to *Session
	consumer *consumer

	packets, bytes, lost, dropped atomic.Uint64
	last                          atomic.Int64 // nanoseconds after start; 0: nothing yet
	mute                          atomic.Bool

	ch    int        // Recorder channel of the from leg
	pt    [128]int16 // payload type on the far leg, -1 to drop
	xcode [128]uint8
	law   [128]law // how to record each payload type of the from leg
	seqOK bool
	ssrc  uint32
	seq   uint16
}

func newDirection(r *Relay, from, to *Session, ff, tf Format) *direction {
	d := &direction{r: r, from: from, to: to}
	for i := range d.law {
		d.law[i] = lawOf(ff, uint8(i))
	}
	if ff.Audio.Name == "" || tf.Audio.Name == "" {
		for i := range d.pt {
			d.pt[i] = int16(i)
		}
		return d
	}
	for i := range d.pt {
		d.pt[i] = -1
	}
	switch {
	case ff.Audio.is(tf.Audio.Name):
		d.pt[ff.Audio.PT] = int16(tf.Audio.PT)
	case ff.Audio.is(PCMU) && tf.Audio.is(PCMA):
		d.pt[ff.Audio.PT], d.xcode[ff.Audio.PT] = int16(tf.Audio.PT), ulawToAlaw
	case ff.Audio.is(PCMA) && tf.Audio.is(PCMU):
		d.pt[ff.Audio.PT], d.xcode[ff.Audio.PT] = int16(tf.Audio.PT), alawToUlaw
	}
	if ff.HasEvent() && tf.HasEvent() {
		d.pt[ff.Event.PT], d.xcode[ff.Event.PT] = int16(tf.Event.PT), keep
	}
	return d
}

// receive relays one packet the from leg accepted.
func (d *direction) receive(p packet) {
	if pkt, ok := d.process(p); ok && !d.mute.Load() {
		d.to.Write(pkt) // a lost datagram is the network's business
	}
}

// process counts one received packet and prepares it for the other leg in
// place. It must not allocate: it runs for every packet.
func (d *direction) process(p packet) ([]byte, bool) {
	d.last.Store(max(int64(time.Since(d.r.start)), 1))
	h := p.hdr
	d.count(h.SSRC, h.SequenceNumber)
	in := h.PayloadType
	if l := d.law[in]; l != none {
		if rec := d.r.rec.Load(); rec != nil {
			rec.record(d.ch, l, h.SSRC, h.Timestamp, p.payload)
		}
	}
	out := d.pt[in]
	if out < 0 {
		d.dropped.Add(1)
		return nil, false
	}
	pkt := p.b
	pkt[1] = pkt[1]&0x80 | uint8(out)
	if mode := d.xcode[in]; mode != keep {
		if p.payload == nil {
			d.dropped.Add(1) // padding longer than the packet
			return nil, false
		}
		if mode == ulawToAlaw {
			for i, v := range p.payload {
				p.payload[i] = g711.Ulaw2AlawFrame(v)
			}
		} else {
			for i, v := range p.payload {
				p.payload[i] = g711.Alaw2UlawFrame(v)
			}
		}
	}
	d.packets.Add(1)
	d.bytes.Add(uint64(len(pkt)))
	return pkt, true
}

// count tracks loss from sequence number gaps, per SSRC.
func (d *direction) count(ssrc uint32, seq uint16) {
	if !d.seqOK || ssrc != d.ssrc {
		d.seqOK, d.ssrc, d.seq = true, ssrc, seq
		return
	}
	gap := seq - d.seq
	if gap == 0 || gap >= 0x8000 {
		return // duplicate or late
	}
	d.lost.Add(uint64(gap - 1))
	d.seq = seq
}

func (d *direction) stats(start time.Time) Stats {
	s := Stats{Packets: d.packets.Load(), Bytes: d.bytes.Load(), Lost: d.lost.Load(), Dropped: d.dropped.Load()}
	if l := d.last.Load(); l > 0 {
		s.Last = start.Add(time.Duration(l))
	}
	return s
}

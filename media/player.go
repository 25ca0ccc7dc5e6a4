package media

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strings"
	"time"
)

// maxLate is how far behind its schedule a Player may fall before it gives
// up on catching up: past it, the schedule moves on by whole frames rather
// than the rest of the clip going out in a burst the far end's jitter
// buffer would have to drop.
const maxLate = 100 * time.Millisecond

// Player sends Clips on a Session as one RTP stream: a prompt, a beep, hold
// music. Its SSRC stays the same across Plays and its sequence numbers and
// timestamps go on from one Play to the next, so a phone sees one talker
// that pauses between clips.
//
// The packets are sent by a pacer that serves every Player of the process
// (see pacer), not by the goroutine calling Play, which only waits.
//
// Play is not for concurrent use: a Player plays one clip at a time. The
// Session's other users (a Relay, a Listener) go on undisturbed; while a
// Relay also writes to the leg, Mute it towards that leg.
type Player struct {
	s       *Session
	observe func(late time.Duration)
	pacer   *pacer

	ssrc uint32
	seq  uint16    // of the next packet
	ts   uint32    // of the next packet, were it sent at end
	end  time.Time // when the last Play's audio ended; zero before the first
	done chan struct{}

	// The Play in progress; the pacer owns them while the Player is in its
	// wheel.
	data    []byte
	frame   int // the next frame to send
	frames  int
	start   time.Time // when frame 0 was due, on a whole millisecond
	pt      uint8
	silence byte
	err     error
	pkt     [12 + FrameSamples]byte
}

// NewPlayer returns a Player sending on s. observe, if not nil, is called
// after every packet with how late it went out against its schedule; the
// PBX feeds it to a histogram. It runs on the pacer's goroutine and must be
// quick.
func NewPlayer(s *Session, observe func(late time.Duration)) *Player {
	return &Player{
		s:       s,
		observe: observe,
		pacer:   sharedPacer(),
		ssrc:    rand.Uint32(),
		seq:     uint16(rand.Uint32()),
		ts:      rand.Uint32(),
		done:    make(chan struct{}, 1),
	}
}

// Play sends clip on the Session in the Session's current audio codec (PCMU
// if it has no format), one packet of 160 samples every 20 ms, the last one
// padded with silence. It returns nil once the clip has played out, or
// context.Cause(ctx) at once when ctx ends, or an error if the Session is
// closed. The first packet carries the marker bit, and the timestamp moves
// on by the time since the previous Play ended (RFC 3550).
func (p *Player) Play(ctx context.Context, clip *Clip) error {
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	codec := p.s.Format().Audio
	if codec.Name == "" {
		codec = Codec{PT: 0, Name: PCMU, Rate: Rate}
	}
	data := clip.Encoded(codec.Name)
	if data == nil {
		return fmt.Errorf("play: no %s encoding of a clip", codec.Name)
	}
	p.silence = 0xFF
	if strings.EqualFold(codec.Name, PCMA) {
		p.silence = 0xD5
	}
	p.data, p.frame, p.frames, p.pt, p.err = data, 0, (len(data)+FrameSamples-1)/FrameSamples, codec.PT&0x7f, nil
	if p.frames == 0 {
		return nil
	}

	// Back-to-back Plays (within a frame) join without a gap; after a
	// pause the timestamp follows the sampling clock across it.
	// A new talk-spurt starts in the least busy slot of the next 20 ms.
	earliest := p.pacer.now().Truncate(tick).Add(tick)
	switch {
	case !p.end.IsZero() && earliest.Sub(p.end) < Frame:
		p.start = p.end
	case p.end.IsZero():
		p.start = p.pacer.slot(earliest)
	default:
		p.start = p.pacer.slot(earliest)
		p.ts += uint32(p.start.Sub(p.end) / (time.Second / Rate))
	}
	p.pacer.add(p)
	select {
	case <-p.done:
		p.end = p.start.Add(time.Duration(p.frames) * Frame)
		return p.err
	case <-ctx.Done():
		p.pacer.remove(p)
		p.end = p.start.Add(time.Duration(p.frame) * Frame) // where p.ts stands
		return context.Cause(ctx)
	}
}

// sendState is what send did.
type sendState uint8

const (
	notDue sendState = iota // the next frame is not due yet
	sent                    // a frame went out; the next may be due too
	over                    // the Play is over: played out, or the Session closed
)

// send sends the next frame if it is due, or finishes the Play once the
// last frame's time is over. It reads the clock with now just before
// sending, so that the lateness it reports includes the time the pacer
// spent on other Players' packets. The pacer calls it with its lock held;
// it must not allocate.
func (p *Player) send(clock func() time.Time) sendState {
	now := clock()
	due := p.start.Add(time.Duration(p.frame) * Frame)
	if now.Before(due) {
		return notDue
	}
	if p.frame == p.frames {
		return over
	}
	late := now.Sub(due)
	if late > maxLate {
		p.start = p.start.Add(late.Truncate(Frame)) // the phase stays
	}
	p.pkt[0] = 0x80 // version 2, no padding, extension or CSRCs
	p.pkt[1] = p.pt
	if p.frame == 0 {
		p.pkt[1] |= 0x80 // marker: the start of a talk-spurt
	}
	binary.BigEndian.PutUint16(p.pkt[2:], p.seq)
	binary.BigEndian.PutUint32(p.pkt[4:], p.ts)
	binary.BigEndian.PutUint32(p.pkt[8:], p.ssrc)
	n := copy(p.pkt[12:], p.data[p.frame*FrameSamples:])
	for j := 12 + n; j < len(p.pkt); j++ {
		p.pkt[j] = p.silence
	}
	if _, err := p.s.Write(p.pkt[:]); errors.Is(err, net.ErrClosed) {
		p.err = fmt.Errorf("play: %w", err)
		return over
	} // other errors lose one packet, as the network could
	if p.observe != nil {
		p.observe(late)
	}
	p.seq++
	p.ts += FrameSamples
	p.frame++
	return sent
}

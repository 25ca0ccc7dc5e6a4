package media

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strings"
	"syscall"
	"time"
)

// maxLate is how far behind its schedule a Player may fall before it gives
// up on catching up: past it, the rest of the clip is paced from now rather
// than sent in a burst the far end's jitter buffer would have to drop.
const maxLate = 100 * time.Millisecond

// Player sends Clips on a Session as one RTP stream: a prompt, a beep, hold
// music. Its SSRC stays the same across Plays and its sequence numbers and
// timestamps go on from one Play to the next, so a phone sees one talker
// that pauses between clips.
//
// Play is not for concurrent use: a Player plays one clip at a time. The
// Session's other users (a Relay, a Listener) go on undisturbed; while a
// Relay also writes to the leg, Mute it towards that leg.
type Player struct {
	s       *Session
	observe func(late time.Duration)
	now     func() time.Time // time.Now; tests move it

	ssrc  uint32
	seq   uint16    // of the next packet
	ts    uint32    // of the next packet, were it sent at end
	end   time.Time // when the last Play's audio ended; zero before the first
	timer *time.Timer
	pkt   [12 + FrameSamples]byte
}

// NewPlayer returns a Player sending on s. observe, if not nil, is called
// after every packet with how late it went out against its schedule; the
// PBX feeds it to a histogram. It runs on the playing goroutine and must be
// quick.
func NewPlayer(s *Session, observe func(late time.Duration)) *Player {
	return &Player{
		s:       s,
		observe: observe,
		now:     time.Now,
		ssrc:    rand.Uint32(),
		seq:     uint16(rand.Uint32()),
		ts:      rand.Uint32(),
	}
}

// Play sends clip on the Session in the Session's current audio codec (PCMU
// if it has no format), one packet of 160 samples every 20 ms, the last one
// padded with silence. It returns nil once the clip has played out, or
// context.Cause(ctx) within a frame of ctx ending, or an error if the
// Session is closed. The first packet carries the marker bit, and the
// timestamp moves on by the time since the previous Play ended (RFC 3550).
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
	silence := byte(0xFF)
	if strings.EqualFold(codec.Name, PCMA) {
		silence = 0xD5
	}
	if p.timer == nil {
		p.timer = time.NewTimer(time.Hour)
	}
	defer p.timer.Stop()

	// Back-to-back Plays (within a frame) join without a gap; after a
	// pause the timestamp follows the sampling clock across it.
	start := p.now()
	if !p.end.IsZero() {
		if start.Sub(p.end) < Frame {
			start = p.end
		} else {
			p.ts += uint32(start.Sub(p.end) / (time.Second / Rate))
		}
	}
	p.pkt[0] = 0x80 // version 2, no padding, extension or CSRCs
	binary.BigEndian.PutUint32(p.pkt[8:], p.ssrc)
	frames := (len(data) + FrameSamples - 1) / FrameSamples
	for i := range frames {
		p.pkt[1] = codec.PT & 0x7f
		if i == 0 {
			p.pkt[1] |= 0x80 // marker: the start of a talk-spurt
		}
		binary.BigEndian.PutUint16(p.pkt[2:], p.seq)
		binary.BigEndian.PutUint32(p.pkt[4:], p.ts)
		n := copy(p.pkt[12:], data[i*FrameSamples:])
		for j := 12 + n; j < len(p.pkt); j++ {
			p.pkt[j] = silence
		}

		due := start.Add(time.Duration(i) * Frame)
		now, err := p.wait(ctx, due)
		if err != nil {
			p.end = due // where p.ts stands; a later Play follows on from it
			return err
		}
		late := now.Sub(due)
		if late > maxLate {
			start = now.Add(-time.Duration(i) * Frame)
		}
		if _, err := p.s.Write(p.pkt[:]); errors.Is(err, net.ErrClosed) {
			return fmt.Errorf("play: %w", err)
		} // other errors lose one packet, as the network could
		if p.observe != nil {
			p.observe(late)
		}
		p.seq++
		p.ts += FrameSamples
	}
	p.end = start.Add(time.Duration(frames) * Frame)
	_, err := p.wait(ctx, p.end)
	return err
}

// wait sleeps until t on an absolute deadline, so that time lost in one
// packet's wake-up is not carried into the next. It returns the time it woke.
func (p *Player) wait(ctx context.Context, t time.Time) (time.Time, error) {
	now := p.now()
	if d := t.Sub(now); d > HybridMargin {
		p.timer.Reset(d - HybridMargin)
		select {
		case <-ctx.Done():
			return now, context.Cause(ctx)
		case <-p.timer.C:
		}
		now = p.now()
	} else if ctx.Err() != nil {
		return now, context.Cause(ctx)
	}
	if d := t.Sub(now); d > 0 {
		ts := syscall.NsecToTimespec(int64(d))
		syscall.Nanosleep(&ts, nil)
		now = p.now()
	}
	return now, nil
}

var HybridMargin = 1500 * time.Microsecond

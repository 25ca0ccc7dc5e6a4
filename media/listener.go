package media

import (
	"sync"
	"sync/atomic"
	"time"
)

// Listener reads a leg no Relay reads: a caller in an IVR menu or leaving
// voicemail, while a Player talks to them. It reports RFC 4733 key presses
// and hands the audio to a Recorder, if one is set.
//
// It consumes the Session: the media engine hands it each packet as it
// arrives. Close stops that. It does not close the Session, which a Relay
// may consume once the Listener is closed.
type Listener struct {
	s    *Session
	keys chan<- rune
	tap  atomic.Pointer[tap]
	last atomic.Int64 // Unix nanoseconds of the last packet; 0: none yet

	consumer *consumer
	close    sync.Once

	// Owned by the engine's loop.
	dtmf DTMF
}

// tap is where a Listener records.
type tap struct {
	rec *Recorder
	ch  int
}

// NewListener starts reading s. Each key pressed is sent on keys without
// waiting: a key that finds keys full is dropped, so give it a buffer (a
// dozen keys is plenty for a caller typing ahead).
func NewListener(s *Session, keys chan<- rune) *Listener {
	l := &Listener{s: s, keys: keys}
	l.consumer = s.attach(l.packet)
	return l
}

// SetRecorder records the leg's audio to channel ch of rec; nil stops. It
// may be called while the Listener runs.
func (l *Listener) SetRecorder(rec *Recorder, ch int) {
	if rec == nil {
		l.tap.Store(nil)
		return
	}
	l.tap.Store(&tap{rec: rec, ch: ch})
}

// Last returns when the last RTP packet arrived; zero if none did.
func (l *Listener) Last() time.Time {
	if n := l.last.Load(); n != 0 {
		return time.Unix(0, n)
	}
	return time.Time{}
}

// Close stops listening: once it returns, no packet reaches the Listener.
// The Session stays open.
func (l *Listener) Close() {
	l.close.Do(func() { l.s.detach(l.consumer) })
}

// packet handles one packet the Session accepted. It must not allocate.
func (l *Listener) packet(p packet) {
	now := time.Now()
	l.last.Store(now.UnixNano())
	if p.payload == nil {
		return
	}
	h := p.hdr
	f := l.s.format.Load()
	if f.HasEvent() && h.PayloadType == f.Event.PT {
		if key, ok := l.dtmf.Feed(h.Timestamp, p.payload); ok {
			select {
			case l.keys <- key:
			default:
			}
		}
		return
	}
	if t := l.tap.Load(); t != nil {
		t.rec.recordAt(now, t.ch, lawOf(*f, h.PayloadType), h.SSRC, h.Timestamp, p.payload)
	}
}

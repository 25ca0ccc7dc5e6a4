package sip

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbx/media"
)

// The PBX's own media on the caller's leg: answering a call itself, playing
// prompts and music to the caller, hearing the keys they press, recording.

// ErrNotAnswered is returned by Play before the PBX answered the call.
var ErrNotAnswered = errors.New("call not answered")

// errBridged stops a prompt when the caller is bridged to an agent.
var errBridged = errors.New("caller bridged")

// Answer answers the caller with the PBX's own media, so that it can play
// prompts and hear keys. Calling it again, or after the call was bridged,
// does nothing. It returns once the caller acknowledged the answer.
func (c *Call) Answer(ctx context.Context) error {
	c.mu.Lock()
	if c.listener != nil || c.relay != nil {
		c.mu.Unlock()
		return nil
	}
	if err := c.openCallerLocked(); err != nil {
		c.mu.Unlock()
		return err
	}
	ans, err := media.Answer(c.offer, c.s.local(c.a, nil))
	if err != nil {
		c.mu.Unlock()
		return err
	}
	f, err := ans.Format()
	if err != nil {
		c.mu.Unlock()
		return err
	}
	if !c.final.CompareAndSwap(0, 200) {
		c.mu.Unlock()
		return ErrCallerGone
	}
	c.a.SetRemote(c.offer.Remote(), c.from)
	c.a.SetFormat(f)
	// The Listener's keys pass through watchMedia, which counts them.
	heard := make(chan rune, cap(c.keys))
	c.listener = media.NewListener(c.a, heard)
	c.player = media.NewPlayer(c.a, c.s.metrics.observeLateness)
	c.answered = c.s.now()
	c.mu.Unlock()

	c.s.addLeg(c.dlg.ID, leg{call: c, caller: true})
	go c.watchMedia(heard)
	if err := c.dlg.RespondSDP(ans.Marshal()); err != nil {
		return err
	}
	c.log.Info("answered by the pbx", "codec", f.Audio.Name)
	return nil
}

// watchMedia hands on the RFC 4733 keys the Listener heard, and ends a call
// the PBX answered itself when the caller sends no RTP for the dead-media
// time (a phone gone without a BYE), until the call is bridged (the relay
// watches then) or over.
func (c *Call) watchMedia(heard <-chan rune) {
	t := time.NewTicker(min(c.s.deadAfter/4, time.Second))
	defer t.Stop()
	since := time.Now()
	for {
		select {
		case <-c.dlg.Context().Done():
			return
		case k := <-heard:
			c.s.metrics.dtmf.WithLabelValues(dtmfRFC4733).Inc()
			c.pushKey(k)
			continue
		case <-t.C:
		}
		c.mu.Lock()
		l, bridged := c.listener, c.relay != nil
		c.mu.Unlock()
		if bridged || l == nil {
			return
		}
		heard := l.Last()
		if heard.Before(since) {
			heard = since
		}
		if time.Since(heard) >= c.s.deadAfter {
			c.log.Info("no media from the caller; hanging up")
			c.cancel(media.ErrDeadMedia)
			return
		}
	}
}

// Play plays clip to the caller and returns once it has played, or with the
// cause when ctx ends or the caller is bridged to an agent meanwhile. One
// clip plays at a time: a second Play waits for the first.
func (c *Call) Play(ctx context.Context, clip *media.Clip) error {
	c.playMu.Lock()
	defer c.playMu.Unlock()
	c.mu.Lock()
	p, bridged := c.player, c.relay != nil || c.bridging
	if p == nil {
		c.mu.Unlock()
		return ErrNotAnswered
	}
	if bridged {
		c.mu.Unlock()
		return errBridged
	}
	pctx, stop := context.WithCancelCause(ctx)
	c.stopPlay = stop
	c.mu.Unlock()
	defer stop(nil)
	c.s.metrics.playing.Inc()
	defer c.s.metrics.playing.Dec()
	return p.Play(pctx, clip)
}

// stopPrompts ends a Play under way and waits for it, before the caller's
// leg is bridged.
func (c *Call) stopPrompts() {
	c.mu.Lock()
	stop := c.stopPlay
	c.mu.Unlock()
	if stop != nil {
		stop(errBridged)
	}
	c.playMu.Lock()
	c.playMu.Unlock() //nolint:staticcheck // waiting for Play to return is the point
}

// Keys returns the keys the caller presses once the PBX answered, by RFC
// 4733 telephone-events or SIP INFO. Keys nobody reads are dropped once the
// channel's buffer is full.
func (c *Call) Keys() <-chan rune { return c.keys }

// Record sends the call's audio to rec from now on: before bridging, the
// caller's audio to channel 0; bridged, the caller to channel 0 (left) and
// the other party to channel 1 (right). Record(nil) stops. The caller of
// Record closes rec.
func (c *Call) Record(rec *media.Recorder) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rec = rec
	switch {
	case c.relay != nil:
		c.relay.SetRecorder(rec)
	case c.listener != nil:
		c.listener.SetRecorder(rec, 0)
	}
}

// pushKey hands a key to whoever reads Keys, without blocking.
func (c *Call) pushKey(k rune) {
	select {
	case c.keys <- k:
	default:
	}
}

// hangUp ends a call the PBX answered and nobody hung up yet.
func (c *Call) hangUp(ctx context.Context) {
	if c.final.Load() != 200 || c.dlg.Context().Err() != nil {
		return
	}
	bye, done := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer done()
	if err := c.dlg.Bye(bye); err != nil {
		c.log.Debug("bye caller", "error", err)
	}
}

// holdMusic plays the server's hold music to the caller while the agent
// holds the call (on), and stops it on resume. The relay stops passing the
// agent's audio to the caller meanwhile.
func (c *Call) holdMusic(on bool) {
	c.mu.Lock()
	relay, p := c.relay, c.player
	if relay == nil {
		c.mu.Unlock()
		return
	}
	if p == nil {
		p = media.NewPlayer(c.a, c.s.metrics.observeLateness)
		c.player = p
	}
	stop := c.stopMusic
	c.stopMusic = nil
	if on {
		ctx, cancel := context.WithCancel(c.dlg.Context())
		done := make(chan struct{})
		c.stopMusic = func() { cancel(); <-done }
		go func() {
			defer close(done)
			c.s.metrics.playing.Inc()
			defer c.s.metrics.playing.Dec()
			for ctx.Err() == nil {
				if err := p.Play(ctx, c.s.holdMusic); err != nil {
					return
				}
			}
		}()
	}
	c.mu.Unlock()
	if stop != nil {
		stop()
	}
	relay.Mute(c.a, on)
	c.log.Info("hold music", "on", on)
}

// serveInfo takes keys sent as SIP INFO (application/dtmf-relay, the
// Signal=5 form, or application/dtmf, the bare key) for phones that do not
// send RFC 4733 events.
func (s *Server) serveInfo(req *sip.Request, tx sip.ServerTransaction) {
	l, ok := s.findLeg(req)
	if !ok {
		respond(tx, req, 481, "Call/Transaction Does Not Exist", nil)
		return
	}
	ct := ""
	if h := req.ContentType(); h != nil {
		ct = strings.ToLower(strings.TrimSpace(strings.SplitN(h.Value(), ";", 2)[0]))
	}
	switch ct {
	case "application/dtmf-relay", "application/dtmf":
	default:
		respond(tx, req, 415, "Unsupported Media Type", []sip.Header{sip.NewHeader("Accept", "application/dtmf-relay, application/dtmf")})
		return
	}
	key, ok := infoKey(ct, string(req.Body()))
	if !ok {
		respond(tx, req, 400, "Bad DTMF", nil)
		return
	}
	if l.caller {
		c := l.call
		c.s.metrics.dtmf.WithLabelValues(dtmfInfo).Inc()
		c.pushKey(key)
	}
	respond(tx, req, 200, "OK", nil)
}

// infoKey reads the key out of a DTMF INFO body.
func infoKey(contentType, body string) (rune, bool) {
	v := strings.TrimSpace(body)
	if contentType == "application/dtmf-relay" {
		v = ""
		for _, line := range strings.Split(body, "\n") {
			name, value, ok := strings.Cut(line, "=")
			if ok && strings.EqualFold(strings.TrimSpace(name), "signal") {
				v = strings.TrimSpace(value)
				break
			}
		}
	}
	switch {
	case len(v) != 1:
		// RFC 4733 event numbers: 10 is *, 11 is #.
		switch v {
		case "10":
			return '*', true
		case "11":
			return '#', true
		}
		return 0, false
	case v[0] >= '0' && v[0] <= '9', v[0] == '*', v[0] == '#':
		return rune(v[0]), true
	case v[0] >= 'A' && v[0] <= 'D', v[0] >= 'a' && v[0] <= 'd':
		return rune(strings.ToUpper(v)[0]), true
	}
	return 0, false
}

// lowCreditTone is what Warn plays: two short 440 Hz beeps.
var lowCreditTone = func() *media.Clip {
	beep := media.Tone(440, 250*time.Millisecond, 0.3).PCM()
	gap := make([]int16, media.Rate/5)
	return media.NewClip(slices.Concat(beep, gap, beep))
}()

// Warn plays a short tone to the user's side of a bridged call (the agent
// of an inbound call, the caller of an outbound one, who placed it): the
// credit is about to end. The other party is muted to them meanwhile. Not
// bridged, it does nothing.
func (c *Call) Warn(ctx context.Context) error {
	c.mu.Lock()
	relay, to := c.relay, c.a
	if c.agentOf != 0 {
		to = c.b
	}
	c.mu.Unlock()
	if relay == nil {
		return nil
	}
	relay.Mute(to, true)
	defer relay.Mute(to, false)
	return media.NewPlayer(to, c.s.metrics.observeLateness).Play(ctx, lowCreditTone)
}

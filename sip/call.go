package sip

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"pbx/media"
	"pbx/refusal"
)

// Outcomes of Dial that the router acts on.
var (
	ErrBusy        = errors.New("busy")
	ErrUnavailable = errors.New("unavailable")
	ErrNoAnswer    = errors.New("no answer")
	// ErrOverloaded: the call cannot have media here now (every RTP port
	// of the range is taken), whoever would take it.
	ErrOverloaded = errors.New("overloaded")
	// ErrCallerGone is the cause when the caller cancels or hangs up.
	ErrCallerGone = errors.New("caller hung up")
	// ErrCalleeGone is the cause when the answering side hangs up.
	ErrCalleeGone = errors.New("callee hung up")
)

// Inbound is what the SIP edge knows of a new call when it hands it over.
type Inbound struct {
	From    string // the caller's number or user
	To      string // the number or extension dialed
	TrunkID uint   // the carrier trunk it came from; 0 for a phone user
	// Presented is the caller's number as the phone wrote it in From, for
	// a phone user's call (From holds the authenticated user).
	Presented string
}

// Router decides what happens to an admitted call. Route runs on the call's
// own goroutine and returns when the router is done with the call.
type Router interface {
	Route(ctx context.Context, c *Call, in Inbound)
}

// Call is the caller's leg of one call and everything the PBX does for it:
// the agent legs it rings, the media it anchors, the bridge.
type Call struct {
	s      *Server
	id     string
	log    *slog.Logger
	dlg    *sipgo.DialogServerSession
	offer  *media.SDP
	from   netip.Addr // where the caller's signalling comes from
	cancel context.CancelCauseFunc

	started    time.Time
	sdpVersion atomic.Uint64
	ringing    atomic.Bool
	final      atomic.Int32 // the final status sent to the caller, 0 before

	keys   chan rune  // keys the caller pressed, once the PBX answered
	playMu sync.Mutex // held while a prompt plays

	mu        sync.Mutex
	a         *media.Session // faces the caller; nil until the call needs media
	b         *media.Session // faces the agent
	slots     []func()       // give back the call's places under the limits
	agent     *sipgo.DialogClientSession
	agentOf   uint
	agentFrom netip.Addr // where the agent's signalling comes from
	relay     *media.Relay
	answered  time.Time
	listener  *media.Listener // reads the caller while the PBX answers them itself
	player    *media.Player   // plays prompts and music to the caller
	stopPlay  context.CancelCauseFunc
	stopMusic func()
	bridging  bool // an agent answered: no more prompts
	rec       *media.Recorder
}

// ID returns the call's SIP Call-ID.
func (c *Call) ID() string { return c.id }

// Started returns when the INVITE arrived.
func (c *Call) Started() time.Time { return c.started }

// Answered returns when the call was answered (zero if it was not).
func (c *Call) Answered() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.answered
}

// FinalCode returns the final status the caller got (200 when answered).
func (c *Call) FinalCode() int { return int(c.final.Load()) }

// Ring sends 180 Ringing to the caller once.
func (c *Call) Ring() error {
	if c.ringing.Swap(true) || c.final.Load() != 0 {
		return nil
	}
	return c.dlg.Respond(180, "Ringing", nil)
}

// Refuse ends the call with the answer the table in refusal.go gives r
// (500 for a Reason it does not know), or hangs it up if the PBX answered
// it already (after a prompt, say). It is how routing's decisions become
// SIP answers.
func (c *Call) Refuse(r refusal.Reason) error {
	s := refusalStatus(r)
	return c.reject(s.code, s.phrase)
}

// reject ends the call with code, or hangs it up if the PBX answered it
// already.
//
// The call's media ports and its places under the limits are given back
// before the answer is sent: sipgo's Respond returns only once the caller
// ACKs a final non-2xx answer or the transaction gives up (Timer H, 64*T1 =
// 32 s), and a caller that never ACKs must not hold them that long.
func (c *Call) reject(code int, reason string) error {
	if !c.final.CompareAndSwap(0, int32(code)) {
		c.hangUp(context.Background())
		return nil
	}
	c.releaseMedia()
	return c.dlg.Respond(code, reason, nil)
}

// Dial rings every registered device of users at once for at most timeout
// and bridges the first that answers to the caller.
func (c *Call) Dial(ctx context.Context, users []uint, timeout time.Duration) (uint, error) {
	type target struct {
		user uint
		b    Binding
	}
	var targets []target
	for _, u := range users {
		for _, b := range c.s.loc.LookupUser(u) {
			targets = append(targets, target{u, b})
		}
	}
	if len(targets) == 0 {
		return 0, ErrUnavailable
	}
	b, err := c.openMedia()
	if err != nil {
		return 0, err
	}
	offer, err := media.Rewrite(c.offer, c.s.local(b, nil))
	if err != nil {
		return 0, err
	}
	body := offer.Marshal()

	ring, stop := context.WithTimeout(ctx, timeout)
	defer stop()
	results := make(chan legResult, len(targets))
	for _, t := range targets {
		go func() {
			d, err := c.inviteAgent(ring, t.b, body)
			results <- legResult{t.user, t.b, d, err}
		}()
	}
	// Wait for an answer, for every device to refuse, or for the ring to
	// end, whichever comes first, and not for the devices still out: one
	// that never answered at all (a stale binding, a phone gone from the
	// network) cannot be cancelled (RFC 3261 9.1: no CANCEL before a
	// provisional answer), and its INVITE lives until Timer B, 32 s. The
	// caller must neither ring past the ring time nor wait to be bridged to
	// the device that did answer.
	var winner *legResult
	busy, pending := 0, len(targets)
wait:
	for pending > 0 && winner == nil {
		select {
		case r := <-results:
			pending--
			if r.err == nil {
				winner = &r
				break
			}
			c.log.Debug("agent's device did not answer", "user", r.user, "contact", r.b.Contact, "error", r.err)
			var de *sipgo.ErrDialogResponse
			if errors.As(r.err, &de) && (de.Res.StatusCode == 486 || de.Res.StatusCode == 600) {
				busy++
			}
			c.release(ctx, r)
		case <-ring.Done():
			if r, ok := c.lateAnswer(results, &pending); ok { // answered as the ring ended
				winner = &r
			}
			break wait
		}
	}
	stop() // the other devices are cancelled
	if pending > 0 {
		// The legs still out end on their own (a CANCEL, a final answer or
		// Timer B, or the UA closing at shutdown), and one that answers
		// after all is hung up.
		c.s.goLeg(func() {
			for ; pending > 0; pending-- {
				c.release(ctx, <-results)
			}
		})
	}
	if winner == nil {
		switch {
		case ctx.Err() != nil:
			return 0, context.Cause(ctx)
		case busy > 0:
			return 0, ErrBusy
		case ring.Err() != nil:
			return 0, ErrNoAnswer
		}
		return 0, ErrUnavailable
	}
	if err := c.bridge(ctx, winner.dlg, winner.user); err != nil {
		return 0, err
	}
	return winner.user, nil
}

// legResult is how one device's INVITE ended: answered (err nil) or not.
type legResult struct {
	user uint
	b    Binding
	dlg  *sipgo.DialogClientSession
	err  error
}

// lateAnswer takes, without waiting, a result already in when the ring
// ended: an answer that came in the same instant still wins.
func (c *Call) lateAnswer(results <-chan legResult, pending *int) (legResult, bool) {
	for *pending > 0 {
		select {
		case r := <-results:
			*pending--
			if r.err == nil {
				return r, true
			}
			c.release(context.Background(), r)
		default:
			return legResult{}, false
		}
	}
	return legResult{}, false
}

// release ends a leg that is not bridged: a device that answered (too
// late, or second) is sent ACK and BYE, off the caller's goroutine, so it
// does not hold a dead call; any other leg's dialog is closed.
func (c *Call) release(ctx context.Context, r legResult) {
	if r.dlg == nil {
		return
	}
	res := r.dlg.InviteResponse
	if res == nil || !res.IsSuccess() {
		r.dlg.Close()
		return
	}
	c.s.goLeg(func() {
		bye, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := r.dlg.Ack(bye); err != nil {
			c.log.Debug("ack a device answered too late", "user", r.user, "error", err)
			return
		}
		if err := r.dlg.Bye(bye); err != nil {
			c.log.Debug("hang up a device answered too late", "user", r.user, "error", err)
		}
	})
}

// inviteAgent sends one device our offer and waits for its answer; a
// provisional answer rings the caller.
func (c *Call) inviteAgent(ctx context.Context, b Binding, body []byte) (*sipgo.DialogClientSession, error) {
	var uri sip.Uri
	if err := sip.ParseUri(b.Contact, &uri); err != nil {
		return nil, fmt.Errorf("contact %q: %w", b.Contact, err)
	}
	req := sip.NewRequest(sip.INVITE, uri)
	from := c.dlg.InviteRequest.From()
	req.AppendHeader(&sip.FromHeader{DisplayName: from.DisplayName,
		Address: sip.Uri{Scheme: "sip", User: from.Address.User, Host: c.s.contact.Address.Host, Port: c.s.contact.Address.Port},
		Params:  sip.HeaderParams{{K: "tag", V: sip.GenerateTagN(16)}}})
	req.AppendHeader(&sip.ToHeader{Address: uri})
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.SetBody(body)
	if b.Path != "" {
		// Registered through a balancer: back the way it came (RFC 3327).
		routes, err := routeSet(b.Path)
		if err != nil {
			return nil, fmt.Errorf("path %q: %w", b.Path, err)
		}
		for _, r := range routes {
			req.AppendHeader(r)
		}
	} else {
		req.SetDestination(b.Source) // a device behind NAT is reached where it registered from
	}
	d, err := c.s.agents.WriteInvite(ctx, req)
	if err != nil {
		return nil, err
	}
	err = d.WaitAnswer(ctx, sipgo.AnswerOptions{OnResponse: func(res *sip.Response) error {
		if res.StatusCode == 180 || res.StatusCode == 183 {
			c.Ring()
		}
		return nil
	}})
	if err != nil {
		return d, err
	}
	return d, nil
}

// bridge completes the call: ACK the agent, answer the caller with the
// agent's codec (no transcoding), and relay media between them.
func (c *Call) bridge(ctx context.Context, agent *sipgo.DialogClientSession, user uint) error {
	if err := agent.Ack(ctx); err != nil {
		agent.Bye(context.WithoutCancel(ctx))
		return fmt.Errorf("ack agent: %w", err)
	}
	answer, err := media.ParseSDP(agent.InviteResponse.Body())
	if err != nil {
		agent.Bye(context.WithoutCancel(ctx))
		return fmt.Errorf("agent answer: %w", err)
	}
	format, err := answer.Format()
	if err != nil {
		agent.Bye(context.WithoutCancel(ctx))
		return err
	}
	agentFrom := sourceAddr(agent.InviteResponse.Source())
	c.mu.Lock()
	b, listener := c.b, c.listener
	c.bridging, c.agentFrom = true, agentFrom
	c.mu.Unlock()
	b.SetRemote(answer.Remote(), agentFrom)
	b.SetFormat(format)

	var mine *media.SDP
	if listener != nil {
		// The PBX answered the caller already (a queue, a menu): stop its
		// prompts and keep the codec they were answered with; the relay
		// transcodes if the agent chose the other one.
		c.stopPrompts()
		listener.Close()
		c.mu.Lock()
		c.listener = nil
		c.mu.Unlock()
	} else {
		// Answer the caller with the agent's codec, so packets pass
		// unchanged; if the caller did not offer it (a device that answers
		// outside the offer), with the caller's own, and the relay
		// transcodes.
		mine, err = media.Answer(c.offer, c.s.local(c.a, []string{format.Audio.Name}))
		if errors.Is(err, media.ErrNoCodec) {
			mine, err = media.Answer(c.offer, c.s.local(c.a, nil))
		}
		if err != nil {
			agent.Bye(context.WithoutCancel(ctx))
			return err
		}
		callerFormat, err := mine.Format()
		if err != nil {
			agent.Bye(context.WithoutCancel(ctx))
			return err
		}
		c.a.SetRemote(c.offer.Remote(), c.from)
		c.a.SetFormat(callerFormat)
		if !c.final.CompareAndSwap(0, 200) {
			agent.Bye(context.WithoutCancel(ctx))
			return ErrCallerGone
		}
	}
	relay := media.NewRelay(c.a, b, c.s.deadAfter)
	c.mu.Lock()
	c.agent, c.agentOf, c.relay = agent, user, relay
	if c.answered.IsZero() {
		c.answered = c.s.now()
	}
	if c.rec != nil {
		relay.SetRecorder(c.rec)
	}
	c.mu.Unlock()
	c.s.addLeg(c.dlg.ID, leg{call: c, caller: true})
	c.s.addLeg(agent.ID, leg{call: c})
	if user != 0 {
		c.s.onCall(user, +1)
	}
	c.s.metrics.calls.Inc()
	if mine != nil {
		// RespondSDP returns once the caller's ACK arrives.
		if err := c.dlg.RespondSDP(mine.Marshal()); err != nil {
			c.log.Warn("caller did not confirm the answer", "error", err)
		}
	}
	return nil
}

// Wait blocks until the bridged call ends and hangs up the other side.
func (c *Call) Wait(ctx context.Context) error {
	c.mu.Lock()
	agent, relay, user := c.agent, c.relay, c.agentOf
	c.mu.Unlock()
	if agent == nil {
		return errors.New("call is not bridged")
	}
	if user != 0 {
		defer c.s.onCall(user, -1)
	}
	var cause error
	select {
	case <-c.dlg.Context().Done():
		cause = ErrCallerGone
	case <-agent.Context().Done():
		cause = ErrCalleeGone
	case <-relay.Dead():
		cause = media.ErrDeadMedia
	case <-ctx.Done():
		cause = context.Cause(ctx)
	}
	if c.dlg.Context().Err() != nil {
		cause = ErrCallerGone // the caller's BYE also ended ctx
	}
	c.mu.Lock()
	music := c.stopMusic
	c.stopMusic = nil
	c.mu.Unlock()
	if music != nil {
		music()
	}
	relay.Close()
	ab, ba := relay.Stats()
	c.s.metrics.rtp.WithLabelValues("caller_to_agent").Add(float64(ab.Packets))
	c.s.metrics.rtp.WithLabelValues("agent_to_caller").Add(float64(ba.Packets))
	c.s.metrics.rtpLost.WithLabelValues("caller_to_agent").Add(float64(ab.Lost))
	c.s.metrics.rtpLost.WithLabelValues("agent_to_caller").Add(float64(ba.Lost))
	// Hang-up runs past the call's context, bounded in time.
	bye, done := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer done()
	if cause != ErrCallerGone {
		if err := c.dlg.Bye(bye); err != nil {
			c.log.Debug("bye caller", "error", err)
		}
	}
	if cause != ErrCalleeGone {
		if err := agent.Bye(bye); err != nil {
			c.log.Debug("bye agent", "error", err)
		}
	}
	agent.Close()
	c.log.Info("call ended", "cause", cause.Error(), "rtp_in", ab.Packets, "rtp_out", ba.Packets)
	return cause
}

// openMedia opens the call's media sessions, the caller's and the agent's,
// once, when the router sends the call somewhere, and returns the agent's.
// Ports are taken only then, not for a call that is refused.
func (c *Call) openMedia() (*media.Session, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.openCallerLocked(); err != nil {
		return nil, err
	}
	if c.b != nil {
		return c.b, nil
	}
	b, err := c.s.ports.Open()
	if err != nil {
		return nil, mediaError(err)
	}
	c.b = b
	return b, nil
}

// openCallerLocked opens the caller's media session once; c.mu is held.
func (c *Call) openCallerLocked() error {
	if c.a != nil {
		return nil
	}
	a, err := c.s.ports.Open()
	if err != nil {
		return mediaError(err)
	}
	c.a = a
	return nil
}

// mediaError is a media session that could not be opened, as an outcome:
// the server out of RTP ports is overloaded (a carrier tries elsewhere on
// the 503 that makes), anything else is unavailable.
func mediaError(err error) error {
	if errors.Is(err, media.ErrNoPorts) {
		return fmt.Errorf("%w: %w", ErrOverloaded, err)
	}
	return fmt.Errorf("%w: %w", ErrUnavailable, err)
}

// releaseMedia closes the media sessions of a call that was not answered
// and gives back its places under the limits.
func (c *Call) releaseMedia() {
	c.mu.Lock()
	a, b, slots := c.a, c.b, c.slots
	c.a, c.b, c.slots = nil, nil, nil
	c.mu.Unlock()
	for _, m := range []*media.Session{a, b} {
		if m != nil {
			m.Close()
		}
	}
	for _, free := range slots {
		free()
	}
}

// takeTrunk takes a place on trunk for the call, until it ends; false when
// the trunk is at its cap.
func (c *Call) takeTrunk(trunk uint) bool {
	release, ok := c.s.limits.takeTrunk(trunk)
	if ok {
		c.mu.Lock()
		c.slots = append(c.slots, release)
		c.mu.Unlock()
	}
	return ok
}

// peerSignalling returns where the caller's (or the agent's) signalling
// comes from.
func (c *Call) peerSignalling(caller bool) netip.Addr {
	if caller {
		return c.from
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.agentFrom
}

// sourceAddr reads the IP of a message's source address ("ip:port").
func sourceAddr(src string) netip.Addr {
	ap, err := netip.ParseAddrPort(src)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// media returns one side's media session and the relay, once bridged.
func (c *Call) media(callerSide bool) (*media.Session, *media.Relay) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.relay == nil {
		return nil, nil
	}
	if callerSide {
		return c.a, c.relay
	}
	return c.b, c.relay
}

func (c *Call) close() {
	c.s.dropLeg(c.dlg.ID)
	c.mu.Lock()
	if c.agent != nil {
		c.s.dropLeg(c.agent.ID)
	}
	if c.stopMusic != nil {
		c.stopMusic()
	}
	if c.listener != nil {
		c.listener.Close()
	}
	if c.relay != nil {
		c.relay.Close()
	}
	c.mu.Unlock()
	c.releaseMedia()
	c.dlg.Close()
}

// local describes one of our media sessions for SDP.
func (s *Server) local(m *media.Session, codecs []string) media.Local {
	return media.Local{Addr: s.mediaIP, Port: m.Port(), SessionID: uint64(time.Now().UnixNano()), Version: 1, Codecs: codecs}
}

// callStack is about the stack a call's goroutine comes to use: SIP, the
// flow, billing and the database calls beneath them.
const callStack = 32 << 10

// growStack grows the calling goroutine's stack to hold callStack at once.
// A goroutine starts small and its stack doubles each time a call goes
// deeper than it has, copying the whole stack in use each time: down the
// call path that was 5% of the CPU at 500 calls/s. Grown here, where the
// stack is shallow, it is one copy of little.
//
//go:noinline
func growStack(i int) byte {
	var pad [callStack]byte
	return pad[i]
}

// serveCall runs an admitted INVITE as a call on its own goroutine (this one)
// until the router is done with it.
func (s *Server) serveCall(req *sip.Request, tx sip.ServerTransaction, in Inbound) {
	offer, err := media.ParseSDP(req.Body())
	if err != nil {
		respond(tx, req, 488, "Not Acceptable Here", nil)
		return
	}
	if _, err := offer.Format(); err != nil {
		respond(tx, req, 488, "Not Acceptable Here", []sip.Header{sip.NewHeader("Warning", `304 pbx "PCMU or PCMA required"`)})
		return
	}
	if s.router == nil {
		respond(tx, req, 480, "Temporarily Unavailable", nil)
		return
	}
	from := sourceAddr(req.Source())
	slots, code, reason := s.limits.admit(in, from)
	if code != 0 {
		s.metrics.limited.WithLabelValues(reason).Inc()
		s.log.Debug("call over a limit", "limit", reason, "from", in.From, "trunk", in.TrunkID, "remote", from.String())
		respond(tx, req, code, limitReasons[reason], nil)
		return
	}
	growStack(0)
	dlg, err := s.callers.ReadInvite(req, tx)
	if err != nil {
		for _, free := range slots {
			free()
		}
		respond(tx, req, 400, "Bad Request", nil)
		return
	}
	id := req.CallID().Value()
	// The call's context ends when the caller's dialog does (a CANCEL or a
	// BYE: cause ErrCallerGone), or when the call is over. It is not the
	// dialog's child, so that the cause is always ours; nor does anything
	// wait on the dialog past the call: a caller who answers our BYE with
	// 481, or not at all, never ends the dialog's context.
	ctx, cancel := context.WithCancelCause(context.Background())
	stopWatch := context.AfterFunc(dlg.Context(), func() { cancel(ErrCallerGone) })
	c := &Call{s: s, id: id, dlg: dlg, offer: offer, from: from, slots: slots, cancel: cancel, keys: make(chan rune, 32),
		started: s.now(), log: s.log.With("call_id", id, "from", in.From, "to", in.To)}
	s.callsMu.Lock()
	s.calls[c] = struct{}{}
	s.callWG.Add(1)
	s.callsMu.Unlock()
	defer func() {
		s.callsMu.Lock()
		delete(s.calls, c)
		s.callsMu.Unlock()
		s.callWG.Done()
	}()
	defer c.close()
	defer cancel(nil)
	defer stopWatch()
	if err := dlg.Respond(100, "Trying", nil); err != nil {
		return
	}
	s.router.Route(ctx, c, in)
	if c.final.Load() == 0 {
		c.Refuse(refusal.Unavailable)
	}
	c.hangUp(ctx)
}

// LookupUser returns the live bindings of the user with id.
func (l *Location) LookupUser(id uint) []Binding {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	remote := l.remoteUser(id, now)
	aor, ok := l.byUser[id]
	if !ok {
		return l.withRemote(nil, remote)
	}
	list := l.live(aor, now)
	if len(list) == 0 || list[0].UserID != id {
		return l.withRemote(nil, remote) // the AOR now belongs to someone else, or expired
	}
	return l.withRemote(copyBindings(list), remote)
}

// HasUser reports whether the user with id has a live binding, without
// copying any.
func (l *Location) HasUser(id uint) bool {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.remoteUser(id, now)) > 0 {
		return true
	}
	aor, ok := l.byUser[id]
	if !ok {
		return false
	}
	for _, b := range l.byAOR[aor] {
		if b.UserID == id && b.Expires.After(now) {
			return true
		}
	}
	return false
}

// onCall counts the bridged calls of each user.
// When a user's last call ends, the OnFree hook hears of it (queued callers
// may be waiting for them).
func (s *Server) onCall(user uint, delta int) {
	s.callsMu.Lock()
	s.active[user] += delta
	free := s.active[user] <= 0
	if free {
		delete(s.active, user)
	}
	first := delta > 0 && s.active[user] == delta
	s.callsMu.Unlock()
	if s.onBusy != nil && (first || free) {
		s.onBusy(user, !free)
	}
	if free && s.onFree != nil {
		s.onFree(user)
	}
}

// OnCall reports whether the user is in a bridged call now.
func (s *Server) OnCall(user uint) bool {
	s.callsMu.Lock()
	defer s.callsMu.Unlock()
	return s.active[user] > 0
}

// Registered reports whether the user has a device registered.
func (s *Server) Registered(user uint) bool { return s.loc.HasUser(user) }

// Roster returns those of members with a live device, earliest logged in
// first, and a channel closed when that may change.
func (s *Server) Roster(members []uint) ([]uint, <-chan struct{}) { return s.loc.Roster(members) }

// NextFree returns the index of the first of users[from:] who is not in a
// bridged call, or -1: one lock for the whole walk.
func (s *Server) NextFree(users []uint, from int) int {
	s.callsMu.Lock()
	defer s.callsMu.Unlock()
	for i := max(from, 0); i < len(users); i++ {
		if s.active[users[i]] <= 0 {
			return i
		}
	}
	return -1
}

package routing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"pbx/media"
	"pbx/refusal"
)

// Inbound is what the SIP side knows of an incoming call when it hands it to
// the engine.
type Inbound struct {
	From      string    // the caller: a number, or a user name for an internal call
	To        string    // the E.164 number dialed
	TrunkID   uint      // the carrier trunk it came through; 0 if none
	StartedAt time.Time // when the INVITE arrived
}

// Engine runs incoming calls through the published flow of the number called.
type Engine struct {
	dir      *Directory
	presence Presence
	history  *History
	log      *slog.Logger
	now      func() time.Time

	prompts    Prompts
	recordings string      // directory of recordings and voicemail; "" records nothing
	beep       *media.Clip // before a voicemail message
	music      *media.Clip // queue music when a state names none
	queues     queues
	live       liveCalls
	rosters    rosters
	ivrTimeout time.Duration  // IVRTimeoutSeconds; shorter in tests
	meter      Meter          // nil: calls are free
	quota      RecordingQuota // nil: recordings are not limited
}

// Prompts turns a flow's prompt into audio a call can play.
type Prompts interface {
	Clip(ctx context.Context, p Prompt) (*media.Clip, error)
}

// Option configures an Engine.
type Option func(*Engine)

// WithPrompts resolves the prompts of ivr, announce and voicemail states
// and of queues; without it they play silence.
func WithPrompts(p Prompts) Option { return func(e *Engine) { e.prompts = p } }

// WithRecordings keeps recordings and voicemail under dir.
func WithRecordings(dir string) Option { return func(e *Engine) { e.recordings = dir } }

// WithMusic sets the queue music played when a state names none; the
// default is media.HoldMusic.
func WithMusic(c *media.Clip) Option { return func(e *Engine) { e.music = c } }

// NewEngine returns an Engine that reads flows and groups from dir, asks
// presence who can take a call, and writes one record per call to history.
func NewEngine(dir *Directory, presence Presence, history *History, log *slog.Logger, now func() time.Time, opts ...Option) *Engine {
	e := &Engine{dir: dir, presence: presence, history: history, log: log, now: now, beep: media.Beep(),
		ivrTimeout: IVRTimeoutSeconds * time.Second}
	e.queues.init()
	e.live.init()
	for _, o := range opts {
		o(e)
	}
	if e.music == nil {
		e.music = media.HoldMusic()
	}
	return e
}

// How a call that reaches no one ends: the engine refuses it with a
// refusal.Reason, and the SIP side alone turns that into the status and
// phrase the caller gets (its table is in sip/refusal.go).
//
//	refusal.NoSuchNumber        the number called is not one of ours
//	refusal.NoFlow              the number is linked to no flow
//	refusal.FlowDisabled        its flow is disabled
//	refusal.FlowNotPublished    its flow was never published
//	refusal.Busy                a transfer left by "busy" and that exit is not connected
//	refusal.Unavailable         a transfer left by "unavailable", exit not connected
//	refusal.NoAnswer            a transfer left by "timeout", exit not connected
//	refusal.FlowIncomplete      the start state leads nowhere, or a connection names no state
//	refusal.Internal            the database failed, or the SIP side gave an unexpected error
//
// A caller who hangs up first is not refused (the SIP side answers the
// CANCEL, and the record shows the call abandoned). Once an ivr, announce,
// voicemail state or a queue has answered the call, the same endings hang
// it up instead, and the record shows it answered.

// Hang-up causes written to call records.
const (
	CauseCompleted    = "completed" // the flow ended it (an announcement played)
	CauseCallerHungUp = "caller hung up"
	CauseCalleeHungUp = "callee hung up" // the user or number called hung up
	CauseNoMedia      = "no media"       // no audio either way for too long
	CauseShutdown     = "server shutdown"
	CauseRestart      = "server restart" // the server stopped without ending it (a crash)
	CauseNoAnswer     = "no answer"
	CauseBusy         = "busy"
	CauseUnavailable  = "unavailable"
	CauseNoSuchNumber = "no such number"
	CauseNoFlow       = "no flow"
	CauseFlowDisabled = "flow disabled"
	CauseNotPublished = "flow not published"
	CauseFlowBroken   = "flow incomplete"
	CauseVoicemail    = "voicemail"
	CauseInternal     = "internal error"
	CauseNotAllowed   = "not allowed"
	CauseOverloaded   = "overloaded" // the server had no media capacity left (RTP ports)
)

// ending is how a call run ended: refused (and why), answered, or, when
// neither, abandoned by the caller (nothing is sent to the caller then).
type ending struct {
	refused  refusal.Reason
	answered bool
	cause    string
	// decided: the call's fate was settled before the caller left (refused
	// for credit and told so): hanging up during the telling does not make
	// it a call the caller ended.
	decided bool
}

// run is one call going through its flow; it belongs to Run's goroutine.
type run struct {
	e        *Engine
	call     Call
	log      *slog.Logger
	rec      CallRecord
	doc      Document
	answered bool            // the PBX answered the caller itself
	recorder *media.Recorder // the call's recording or voicemail, closed by finish
	// cut ends the call from within (its credit ran out), with a cause.
	cut context.CancelCauseFunc

	metered   Metered       // the call's charges; nil for a free call
	meterDone chan struct{} // closed when charging has stopped
	stopMeter func()
	warned    atomic.Bool // the low credit warning played

	shown LiveCall // what the live view shows of the call
}

// newRun starts a call's run: its record is stored as in progress, and
// its context can be cut from within.
func (e *Engine) newRun(ctx context.Context, call Call, log *slog.Logger, rec CallRecord) (*run, context.Context) {
	r := &run{e: e, call: call, log: log, rec: rec}
	ctx, r.cut = context.WithCancelCause(ctx)
	r.begin(ctx)
	r.shown.ID = e.live.add(LiveCall{})
	r.show(LiveRouting, State{})
	return r, ctx
}

// Run takes an incoming call through the published flow of in.To until it
// is answered and over, rejected, or the caller hangs up (ctx ends); it
// returns then. It writes exactly one call record, even after ctx ends.
// See the refusals above for how a call nobody takes ends.
func (e *Engine) Run(ctx context.Context, call Call, in Inbound) {
	started := in.StartedAt
	if started.IsZero() {
		started = e.now()
	}
	r, ctx := e.newRun(ctx, call, e.log.With("call_id", call.ID(), "number", in.To, "from", in.From, "trunk", in.TrunkID),
		CallRecord{
			CallID:    call.ID(),
			Direction: DirectionInbound,
			Type:      CallMissed,
			From:      in.From,
			To:        in.To,
			Number:    in.To,
			StartedAt: started,
			TrunkID:   nonZero(in.TrunkID),
		})
	defer r.cut(nil)
	r.finish(ctx, r.walk(ctx, in.TrunkID != 0))
}

func nonZero(id uint) *uint {
	if id == 0 {
		return nil
	}
	return &id
}

// begin stores the call's record as in progress, so that a crash leaves it
// in the history; a call whose record cannot be stored still goes on.
func (r *run) begin(ctx context.Context) {
	if err := r.e.history.Begin(ctx, &r.rec); err != nil {
		r.log.Error("begin call record", "error", err)
	}
}

// save brings the stored record up to date while the call goes on.
func (r *run) save(ctx context.Context) {
	// The call is alive now: the record must not take back the alive time
	// the keep-alive gave it since it began.
	r.rec.AliveAt = r.e.now()
	if err := r.e.history.Update(context.WithoutCancel(ctx), r.rec); err != nil {
		r.log.Warn("update call record", "error", err)
	}
}

// causeOf names why a call ended, from Wait's answer or the cause of the
// call's context.
func causeOf(err error) string {
	switch {
	case errors.Is(err, ErrCalleeHungUp):
		return CauseCalleeHungUp
	case errors.Is(err, media.ErrDeadMedia):
		return CauseNoMedia
	case errors.Is(err, ErrServerStopping):
		return CauseShutdown
	case errors.Is(err, ErrCreditExhausted):
		return CauseCreditExhausted
	}
	return CauseCallerHungUp
}

// finish answers a call nobody took and writes its one record, after
// hang-up too (but not forever).
func (r *run) finish(ctx context.Context, end ending) {
	if ctx.Err() != nil && !end.answered && !end.decided {
		// Whatever step was under way, the caller left first (or the
		// server is stopping).
		end = ending{cause: causeOf(context.Cause(ctx))}
	}
	// The call is over for the live view now, not once its record is
	// written.
	r.e.live.remove(r.shown.ID)
	if end.refused != "" {
		if err := r.call.Refuse(end.refused); err != nil {
			r.log.Warn("refuse call", "refusal", end.refused, "error", err)
		}
	}
	r.closeRecording()
	r.stopMetering()
	r.rec.EndedAt = r.e.now()
	switch {
	case r.answered || end.answered:
		r.rec.SIPCode = recordedAnswered
	case end.refused != "":
		r.rec.SIPCode = r.call.FinalCode() // what the refusal was answered
	default:
		r.rec.SIPCode = recordedAbandoned
	}
	r.rec.HangupCause = end.cause
	owner := uint(0)
	if r.rec.OwnerUserID != nil {
		owner = *r.rec.OwnerUserID
	}
	r.log.Info("call ended", "refusal", end.refused, "sip_code", r.rec.SIPCode, "cause", end.cause, "owner", owner)
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := r.e.history.Record(rctx, r.rec); err != nil {
		r.log.Error("write call record", "error", err)
	}
}

// walk finds the flow and follows it state by state; a call from a carrier
// (billed) is authorised first.
func (r *run) walk(ctx context.Context, billed bool) ending {
	pf, err := r.e.dir.PublishedFlowForNumber(ctx, r.rec.Number)
	switch {
	case errors.Is(err, ErrNoSuchNumber):
		return ending{refused: refusal.NoSuchNumber, cause: CauseNoSuchNumber}
	case errors.Is(err, ErrNoFlow):
		return ending{refused: refusal.NoFlow, cause: CauseNoFlow}
	case errors.Is(err, ErrFlowDisabled):
		return ending{refused: refusal.FlowDisabled, cause: CauseFlowDisabled}
	case errors.Is(err, ErrFlowNotPublished):
		return ending{refused: refusal.FlowNotPublished, cause: CauseNotPublished}
	case err != nil:
		return r.internal(ctx, "find flow", err)
	}
	r.rec.FlowID = &pf.FlowID
	r.log = r.log.With("flow", pf.FlowID, "flow_version", pf.Version)
	if billed {
		if end := r.authorize(ctx, DirectionInbound, r.rec.Number, pf.NumberType); end != nil {
			return r.refuseInbound(ctx, *end)
		}
	}
	doc := pf.Document
	r.doc = doc
	r.show(LiveRouting, State{})

	st, ok := doc.Start()
	if !ok {
		r.log.Error("call flow has no start state")
		return ending{refused: refusal.FlowIncomplete, cause: CauseFlowBroken}
	}
	outcome := OutcomeNext
	// A published flow has no cycles, so a walk visits each state at most
	// once; the bound guards against a document that slipped past validation.
	for range len(doc.States) {
		next, end := doc.leave(st, outcome)
		if end != nil {
			if st.Type == StateStart {
				r.log.Error("call flow leads nowhere", "state", st.ID, "outcome", outcome)
			}
			return *end
		}
		st = next
		r.log.Debug("enter state", "state", st.ID, "type", st.Type)
		r.show(LiveRouting, st)
		outcome, end = r.step(ctx, st)
		if end != nil {
			return *end
		}
		if ctx.Err() != nil {
			return ending{cause: CauseCallerHungUp}
		}
	}
	r.log.Error("call flow loops", "state", st.ID)
	return ending{refused: refusal.FlowIncomplete, cause: CauseFlowBroken}
}

// leave decides where a call that leaves st by outcome goes: the next state,
// or how the call ends there. It is the one definition of a flow's
// transitions: the engine and the simulator both follow it.
func (d *Document) leave(st State, outcome string) (State, *ending) {
	next, ok := d.Next(st.ID, outcome)
	switch {
	case !ok && st.Type == StateStart:
		return State{}, &ending{refused: refusal.FlowIncomplete, cause: CauseFlowBroken}
	case !ok && outcome == OutcomeNext:
		// An announcement with nothing after it: the call is over.
		return State{}, &ending{answered: true, cause: CauseCompleted}
	case !ok:
		end := unconnected(outcome)
		return State{}, &end
	}
	return next, nil
}

// unconnected ends a call that left a state by an exit leading nowhere.
func unconnected(outcome string) ending {
	switch outcome {
	case OutcomeBusy:
		return ending{refused: refusal.Busy, cause: CauseBusy}
	case OutcomeTimeout:
		return ending{refused: refusal.NoAnswer, cause: CauseNoAnswer}
	default:
		return ending{refused: refusal.Unavailable, cause: CauseUnavailable}
	}
}

// step runs one state. It returns the outcome the call leaves it by, or
// how the call ended there.
func (r *run) step(ctx context.Context, st State) (string, *ending) {
	switch st.Type {
	case StateTransferUser:
		return r.transferUser(ctx, st)
	case StateTransferGroup:
		return r.transferGroup(ctx, st)
	case StateIVR:
		return r.ivr(ctx, st)
	case StateAnnounce:
		return r.announce(ctx, st)
	case StateVoicemail:
		return r.voicemail(ctx, st)
	}
	r.log.Error("unknown state type", "state", st.ID, "type", st.Type)
	return "", &ending{refused: refusal.FlowIncomplete, cause: CauseFlowBroken}
}

func ringFor(st State, def int) time.Duration {
	s := st.RingSeconds
	if s <= 0 {
		s = def
	}
	return time.Duration(s) * time.Second
}

func (r *run) transferUser(ctx context.Context, st State) (string, *ending) {
	u := st.UserID
	// The call is meant for u: missed, it is u's missed call (and a message
	// left after it is u's voicemail) whether u was away, busy or did not
	// answer.
	r.rec.OwnerUserID = &u
	switch {
	case !r.e.presence.Registered(u):
		return OutcomeUnavailable, nil
	case r.e.presence.OnCall(u):
		return r.queue(ctx, st, queueKey{"user", u}, func() ([]uint, bool) {
			if !r.e.presence.Registered(u) {
				return nil, false
			}
			if r.e.presence.OnCall(u) {
				return nil, true
			}
			return []uint{u}, true
		})
	}
	return r.dial(ctx, []uint{u}, ringFor(st, DefaultRingSeconds), st.Record)
}

// transferGroup rings the members of a group who can take a call.
//
// Parallel: every member registered and not on a call rings at once;
// "unavailable" when no member is registered, "busy" when every registered
// member is on a call.
//
// Sequential: members ring one at a time for ring_seconds each, in the
// order they logged in (earliest first; the group's order breaks ties),
// skipping those who are unregistered or on a call when their turn comes.
// When nobody answers the call leaves by "timeout" if at least one member
// rang; otherwise by "busy" if any member was busy; otherwise by
// "unavailable".
func (r *run) transferGroup(ctx context.Context, st State) (string, *ending) {
	g, err := r.e.dir.groupForCall(ctx, st.GroupID)
	if errors.Is(err, ErrNotFound) {
		r.log.Warn("call flow names a group that no longer exists", "state", st.ID, "group", st.GroupID)
		return OutcomeUnavailable, nil
	}
	if err != nil {
		end := r.internal(ctx, "read group", err)
		return "", &end
	}
	registered := r.e.roster(st.GroupID, g.MemberIDs)
	if len(registered) == 0 {
		return OutcomeUnavailable, nil
	}
	// free is who of the group can take a call now, for a queued caller.
	free := func() ([]uint, bool) {
		now := r.e.roster(st.GroupID, g.MemberIDs)
		return r.e.freeOf(now), len(now) > 0
	}
	first := r.e.presence.NextFree(registered, 0)
	if first < 0 {
		return r.queue(ctx, st, queueKey{"group", st.GroupID}, free)
	}
	if st.Ring != RingSequential {
		return r.dial(ctx, r.e.freeOf(registered), ringFor(st, DefaultRingSeconds), st.Record)
	}

	each := ringFor(st, DefaultSequentialRingSeconds)
	rang, wasBusy := false, first > 0
	for i := first; i < len(registered); i++ {
		next := r.e.presence.NextFree(registered, i)
		if next < 0 {
			wasBusy = true
			break
		}
		wasBusy = wasBusy || next > i
		i = next
		outcome, end := r.dial(ctx, []uint{registered[i]}, each, st.Record)
		if end != nil {
			return "", end
		}
		switch outcome {
		case OutcomeTimeout:
			rang = true
		case OutcomeBusy:
			wasBusy = true
		}
	}
	switch {
	case rang:
		return OutcomeTimeout, nil
	case wasBusy:
		return r.queue(ctx, st, queueKey{"group", st.GroupID}, free)
	}
	return OutcomeUnavailable, nil
}

// dial rings users and, when one answers, stays with the call (recording it
// if record) until it is over. It returns the outcome of a call nobody
// answered.
func (r *run) dial(ctx context.Context, users []uint, timeout time.Duration, record bool) (string, *ending) {
	if err := r.call.Ring(); err != nil && ctx.Err() == nil {
		r.log.Warn("send ringing", "error", err)
	}
	r.show(LiveRinging, State{})
	by, err := r.call.Dial(ctx, users, timeout)
	switch {
	case ctx.Err() != nil:
		return "", &ending{cause: CauseCallerHungUp}
	case errors.Is(err, ErrBusy):
		return OutcomeBusy, nil
	case errors.Is(err, ErrUnavailable):
		return OutcomeUnavailable, nil
	case errors.Is(err, ErrNoAnswer):
		return OutcomeTimeout, nil
	case err != nil:
		end := r.internal(ctx, "dial "+joinIDs(users), err)
		return "", &end
	}
	if r.rec.AnsweredAt == nil {
		at := r.e.now()
		r.rec.AnsweredAt = &at
	}
	r.rec.Type = CallIncoming
	r.rec.OwnerUserID = &by
	r.log.Info("call answered", "user", by)
	r.show(LiveConnected, State{})
	r.startMetering(ctx)
	if record {
		r.record(ctx, 2, "")
	}
	r.save(ctx)
	return "", &ending{answered: true, cause: causeOf(r.call.Wait(ctx))}
}

// internal ends the call on an error of ours; a cancelled context is the
// caller hanging up, not an error.
func (r *run) internal(ctx context.Context, what string, err error) ending {
	if ctx.Err() != nil {
		return ending{cause: CauseCallerHungUp}
	}
	if errors.Is(err, ErrOverloaded) {
		r.log.Warn(what+": overloaded", "error", err)
		return ending{refused: refusal.Overloaded, cause: CauseOverloaded}
	}
	r.log.Error(what, "error", err)
	return ending{refused: refusal.Internal, cause: CauseInternal}
}

func joinIDs(ids []uint) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = fmt.Sprint(id)
	}
	return "user " + strings.Join(s, ",")
}

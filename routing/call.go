package routing

import (
	"context"
	"errors"
	"time"

	"pbx/media"
	"pbx/refusal"
)

// Call is one inbound call as the flow engine drives it: the caller's leg,
// not yet answered. The sip package's call satisfies it; engine tests use a
// fake. Every method that blocks returns when ctx ends (the caller hung up,
// or the server stops) with context.Cause(ctx).
type Call interface {
	// ID identifies the call in logs and its record.
	ID() string
	// Ring tells the caller the call is progressing (180 Ringing). Calling
	// it again does nothing.
	Ring() error
	// Dial rings every registered device of each user in users at once,
	// for at most timeout. The first device to answer is bridged to the
	// caller (the caller is answered then) and Dial returns its user's id;
	// the other devices are cancelled. Otherwise it returns ErrBusy (every
	// device that answered was busy, or every user is on another call),
	// ErrUnavailable (no device registered, or all refused otherwise) or
	// ErrNoAnswer (timeout).
	Dial(ctx context.Context, users []uint, timeout time.Duration) (answeredBy uint, err error)
	// DialOut calls the E.164 number to through a carrier trunk (trunk, or
	// any when 0) showing callerID, and bridges it when answered. It
	// returns the trunk it went through (0 if none could be chosen), and
	// ErrBusy, ErrNoAnswer or ErrUnavailable when the call was not answered.
	DialOut(ctx context.Context, trunk uint, to, callerID string, timeout time.Duration) (via uint, err error)
	// Wait blocks until a bridged call ends and returns why: ErrCallerHungUp,
	// ErrCalleeHungUp, media.ErrDeadMedia (no audio either way) or the
	// cause of ctx (ErrServerStopping on shutdown).
	Wait(ctx context.Context) error
	// Warn plays a short tone to the user's side of a bridged call (the
	// agent of an inbound call, the caller of an outbound one): the
	// credit is about to end. Elsewhere it does nothing.
	Warn(ctx context.Context) error
	// Refuse ends the call before it is answered, for r (the SIP side
	// chooses the status the caller gets); a call the PBX answered itself
	// (Answer) is hung up instead.
	Refuse(r refusal.Reason) error
	// FinalCode returns the final status the caller got, for the call's
	// record: the status a refusal was answered, or the answer's once
	// answered.
	FinalCode() int

	// Answer answers the caller with the PBX's own media, to play prompts
	// and hear keys; again, or once bridged, it does nothing.
	Answer(ctx context.Context) error
	// Play plays clip to the answered caller and returns once it has
	// played, when ctx ends, or when the caller is bridged meanwhile (Dial
	// stops any prompt playing when an agent answers).
	Play(ctx context.Context, clip *media.Clip) error
	// Keys delivers the keys the caller presses once answered (RFC 4733
	// or SIP INFO); keys nobody reads are dropped once it is full.
	Keys() <-chan rune
	// Record sends the call's audio to rec from now on: the caller on
	// channel 0 and, once bridged, the other party on channel 1. Record(nil)
	// stops; closing rec is the caller's business.
	Record(rec *media.Recorder)
}

// Presence tells the engine who can take a call now.
type Presence interface {
	// Registered reports whether the user has at least one device registered.
	Registered(user uint) bool
	// OnCall reports whether the user is in a bridged call now.
	OnCall(user uint) bool
	// Roster returns those of members with a device registered, in the
	// order they logged in (earliest first; members' order breaks ties),
	// and a channel closed when that may change: a busy group's calls
	// reuse one answer instead of asking about every member each time.
	Roster(members []uint) (registered []uint, changed <-chan struct{})
	// NextFree returns the index of the first of users[from:] who is not
	// on a call, or -1 when all are.
	NextFree(users []uint, from int) int
}

// Outcomes of a transfer, each one a flow exit.
var (
	ErrBusy        = errors.New("busy")
	ErrUnavailable = errors.New("unavailable")
	ErrNoAnswer    = errors.New("no answer")
)

// ErrOverloaded is the call's media unavailable on this server now, for
// want of capacity (RTP ports): no step of the flow can help, and the
// caller is refused at once as overloaded (refusal.Overloaded).
var ErrOverloaded = errors.New("overloaded")

// Why a call ended, as Wait and the call's context report it.
var (
	ErrCallerHungUp   = errors.New("caller hung up")
	ErrCalleeHungUp   = errors.New("callee hung up")
	ErrServerStopping = errors.New("server shutting down")
)

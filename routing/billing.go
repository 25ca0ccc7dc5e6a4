package routing

import (
	"context"
	"errors"
	"fmt"
	"time"

	"pbx/money"
	"pbx/refusal"
)

// Meter authorises the calls that cost money and charges them while they
// run; billing implements it (cmd wires it).
type Meter interface {
	// Authorize finds the call's rate and holds its first charge. It fails
	// with ErrInsufficientCredit or ErrNoRate.
	Authorize(ctx context.Context, c Billable) (Metered, error)
	// Charged returns what the call ref has paid, from the ledger: for a
	// call a crash cut short.
	Charged(ctx context.Context, ref string) (money.Credits, error)
}

// Billable is a call as billing rates it.
type Billable struct {
	Ref        string // unique to the call, stable across a restart
	Direction  string // DirectionInbound or DirectionOutbound
	Number     string // the far number (outbound) or ours (inbound)
	NumberType string // of our number, for inbound calls
}

// Metered is one authorised call's charges, used from the call's goroutine.
type Metered interface {
	// Start charges the connection fee and first increment at answer; it
	// returns how long that pays for (0: free, nothing more to charge) and
	// how long the credit lasts.
	Start(ctx context.Context) (paid, left time.Duration, err error)
	// Next charges the next increment; ErrInsufficientCredit ends the call.
	Next(ctx context.Context) (paid, left time.Duration, err error)
	// End releases what the call holds and returns what it paid.
	End() money.Credits
	// Rate describes the call's rate for its record ("" when free).
	Rate() string
}

// Errors of metering, as the Meter reports them.
var (
	ErrInsufficientCredit = errors.New("insufficient credit")
	ErrNoRate             = errors.New("no rate for this destination")
	// ErrCreditExhausted is the cause given to a call cut because its
	// credit ended.
	ErrCreditExhausted = errors.New("credit exhausted")
)

// Hang-up causes of billing.
const (
	CauseNoCredit        = "insufficient credit"
	CauseNoRate          = "no rate"
	CauseCreditExhausted = "credit exhausted"
)

// WithMeter charges inbound carrier calls and outbound calls through meter;
// without it every call is free.
func WithMeter(m Meter) Option { return func(e *Engine) { e.meter = m } }

// ref is the call's reference in the ledger: its record's id, which is
// unique and survives a restart.
func (r *run) ref() string {
	if r.rec.ID != 0 {
		return fmt.Sprint(r.rec.ID)
	}
	return fmt.Sprintf("%s@%d", r.rec.CallID, r.rec.StartedAt.UnixNano())
}

// authorize asks the meter whether the call may go on; an ending says why
// not.
func (r *run) authorize(ctx context.Context, direction, number, numberType string) *ending {
	if r.e.meter == nil {
		return nil
	}
	m, err := r.e.meter.Authorize(ctx, Billable{Ref: r.ref(), Direction: direction, Number: number, NumberType: numberType})
	switch {
	case errors.Is(err, ErrInsufficientCredit):
		r.log.Warn("call refused: insufficient credit")
		return &ending{refused: refusal.InsufficientCredit, cause: CauseNoCredit}
	case errors.Is(err, ErrNoRate):
		r.log.Warn("call refused: no rate for the destination")
		return &ending{refused: refusal.NoRate, cause: CauseNoRate}
	case err != nil:
		end := r.internal(ctx, "authorise call", err)
		return &end
	}
	r.metered = m
	r.rec.Rate = m.Rate()
	return nil
}

// startMetering begins charging an authorised call when it is answered:
// each increment is paid as it begins; when the credit cannot pay the next
// one the call is cut (cause ErrCreditExhausted). It runs until the call
// ends.
func (r *run) startMetering(ctx context.Context) {
	if r.metered == nil || r.meterDone != nil {
		return
	}
	paid, left, err := r.metered.Start(ctx)
	if err != nil {
		r.log.Warn("first charge failed: call cut", "error", err)
		r.cut(ErrCreditExhausted)
		return
	}
	if paid == 0 {
		return // free
	}
	ctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	r.meterDone, r.stopMeter = done, stop
	go func() {
		defer close(done)
		t := time.NewTimer(paid)
		defer t.Stop()
		for {
			r.warnIfLow(ctx, left)
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			paid, left, err = r.metered.Next(ctx)
			if err != nil {
				if ctx.Err() == nil {
					r.log.Info("credit exhausted: call cut", "error", err)
					r.cut(ErrCreditExhausted)
				}
				return
			}
			t.Reset(paid)
		}
	}()
}

// WarnBefore is how long before the credit ends the user hears a warning.
const WarnBefore = time.Minute

func (r *run) warnIfLow(ctx context.Context, left time.Duration) {
	if r.warned.Load() || left > WarnBefore {
		return
	}
	r.warned.Store(true)
	r.log.Info("credit ends soon: warning the user", "left", left.String())
	if err := r.call.Warn(ctx); err != nil && ctx.Err() == nil {
		r.log.Warn("play the low credit warning", "error", err)
	}
}

// stopMetering waits for the charging to stop and notes what the call
// cost in its record.
func (r *run) stopMetering() {
	if r.metered == nil {
		return
	}
	if r.meterDone != nil {
		r.stopMeter()
		<-r.meterDone
	}
	r.rec.CreditsCharged = r.metered.End()
}

// InsufficientCreditPrompt is what a carrier's caller hears when the
// company's credit cannot pay for the call.
const InsufficientCreditPrompt = "Sorry, this number cannot take calls at the moment. Please try again later."

// refuseInbound ends a carrier's call that billing refused. The caller is
// the company's customer, so rather than a bare SIP error (which a carrier
// may turn into a confusing tone) the PBX answers, says in one sentence
// that the number cannot take calls now, and hangs up. No flow exit is
// taken: any state after it would run unpaid.
func (r *run) refuseInbound(ctx context.Context, end ending) ending {
	if end.refused == refusal.Internal || r.e.prompts == nil {
		return end
	}
	if fail := r.answer(ctx); fail != nil {
		return *fail
	}
	if err := r.play(ctx, &Prompt{Text: InsufficientCreditPrompt}); err != nil && ctx.Err() == nil {
		r.log.Warn("play the insufficient credit prompt", "error", err)
	}
	end.decided = true
	return end
}

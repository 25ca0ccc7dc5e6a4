package billing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"pbx/groupcommit"
	"pbx/money"
)

// ErrNoRate: the call has no rate and unrated calls are refused.
var ErrNoRate = errors.New("no rate for this call")

// What the meter does with a call no rate matches.
const (
	UnratedRefuse = "refuse"
	UnratedFree   = "free"
)

// Call is a call the meter is asked to authorise.
type Call struct {
	// Ref identifies the call in the ledger: every charge of the call is
	// keyed by it, so it must be unique to the call and stable across a
	// restart (the call record's id).
	Ref        string
	Direction  string // Inbound or Outbound
	Number     string // the far number (outbound) or ours (inbound), E.164
	NumberType string // the type of our number, for inbound rates
}

// Meter authorises billable calls and charges them as they run. While a
// call runs it holds a reservation of what it will pay next; a new call
// is authorised only if the balance, less every reservation, pays its
// connection fee and first increment. Each increment is paid before it
// begins, out of the balance, never overdrawing it: a call whose next
// increment cannot be paid is cut at that point, having used all it paid.
// Several servers charging one wallet count each other's reservations
// (SharedWith).
type Meter struct {
	ledger  *Ledger
	rates   *Rates
	log     *slog.Logger
	unrated map[string]string // by direction

	// peers are the other servers charging the wallet; nil alone.
	peers  Peers
	claims *groupcommit.Committer[*claim]

	mu        sync.Mutex
	reserved  money.Credits // by every running call
	perMin    money.Credits // what the running calls cost a minute, together
	published money.Credits // what the peers were last told this meter holds
}

// MeterOption configures a Meter.
type MeterOption func(*Meter)

// NewMeter returns a meter charging the ledger at the rates. A call no rate
// matches is refused until SetUnrated says otherwise.
func NewMeter(ledger *Ledger, rates *Rates, log *slog.Logger, opts ...MeterOption) *Meter {
	m := &Meter{ledger: ledger, rates: rates, log: log, unrated: map[string]string{}}
	for _, o := range opts {
		o(m)
	}
	return m
}

// SetUnrated says what a call in direction that no rate matches does:
// UnratedRefuse or UnratedFree. Call it before the meter is used.
func (m *Meter) SetUnrated(direction, what string) { m.unrated[direction] = what }

// Session is one authorised call's metering. Its methods are called from
// the call's own goroutine, in order: Start when answered, Next at each
// increment boundary, End once.
type Session struct {
	m        *Meter
	call     Call
	rate     Rate
	free     bool
	n        int           // increments paid
	reserved money.Credits // held for the next increment
	charged  money.Credits
	started  bool
	ended    bool
}

// Authorize finds the call's rate and reserves its connection fee and
// first increment. It fails with ErrInsufficientCredit when the balance,
// less what running calls hold, cannot pay them, or ErrNoRate.
func (m *Meter) Authorize(ctx context.Context, c Call) (*Session, error) {
	rate, ok, err := m.rates.Find(ctx, c.Direction, c.Number, c.NumberType)
	if err != nil {
		return nil, err
	}
	s := &Session{m: m, call: c, rate: rate}
	if !ok {
		if m.unrated[c.Direction] != UnratedFree {
			m.ledger.metrics.refusal("rate")
			return nil, fmt.Errorf("%s call to %s: %w", c.Direction, c.Number, ErrNoRate)
		}
		s.free = true
		return s, nil
	}
	if rate.PricePerMinute == 0 && rate.ConnectionFee == 0 {
		s.free = true
		return s, nil
	}
	first := rate.ConnectionFee + rate.Cost(rate.FirstIncrement)
	if m.peers != nil {
		if err := m.reserveShared(ctx, first, rate.PricePerMinute); err != nil {
			return nil, err
		}
		s.reserved = first
		return s, nil
	}
	balance, err := m.ledger.Balance(ctx)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if balance-m.reserved < first {
		m.ledger.metrics.refusal("credit")
		return nil, ErrInsufficientCredit
	}
	m.reserved += first
	m.perMin += rate.PricePerMinute
	s.reserved = first
	return s, nil
}

// Rate returns the call's rate and whether it has one (a free call has
// none).
func (s *Session) Rate() (Rate, bool) { return s.rate, !s.free }

// Charged returns what the call has paid.
func (s *Session) Charged() money.Credits { return s.charged }

// Start charges the connection fee and the first increment, when the call
// is answered, and returns how long that pays for (0 for a free call:
// nothing more to charge) and how long the credit lasts at the rate the
// running calls spend it.
func (s *Session) Start(ctx context.Context) (paid, left time.Duration, err error) {
	if s.free || s.started {
		return 0, 0, nil
	}
	s.started = true
	return s.pay(ctx, s.rate.ConnectionFee+s.rate.Cost(s.rate.FirstIncrement))
}

// Next charges the next increment and returns how long it pays for and
// how long the credit lasts. It fails with ErrInsufficientCredit when the
// balance cannot pay it: the call must end now.
func (s *Session) Next(ctx context.Context) (paid, left time.Duration, err error) {
	if s.free || !s.started || s.ended {
		return 0, 0, nil
	}
	return s.pay(ctx, s.rate.Cost(s.rate.NextIncrement))
}

func (s *Session) pay(ctx context.Context, amount money.Credits) (time.Duration, time.Duration, error) {
	category := CategoryOutbound
	if s.call.Direction == Inbound {
		category = CategoryInbound
	}
	secs := s.rate.increment(s.n)
	e := Entry{Key: fmt.Sprintf("call:%s:%d", s.call.Ref, s.n), Kind: KindCall, Category: category,
		Amount: -amount, Ref: "call:" + s.call.Ref, Note: fmt.Sprintf("%ds at %s/min to %s", secs, s.rate.PricePerMinute, s.call.Number)}
	posted, _, err := s.m.ledger.Post(ctx, e, false)
	if err != nil {
		return 0, 0, err
	}
	s.n++
	s.charged += -posted.Amount
	next := s.rate.Cost(s.rate.NextIncrement)
	s.m.mu.Lock()
	s.m.reserved += next - s.reserved
	s.reserved = next
	others := s.m.reserved - next
	perMin := s.m.perMin
	// A next increment dearer than the first grows what the call holds:
	// the peers must hear of it before they admit a call against it.
	grew := s.m.peers != nil && s.m.reserved > s.m.published
	s.m.mu.Unlock()
	if grew {
		if err := s.m.Publish(ctx); err != nil {
			s.m.log.Warn("publish the reservations", "error", err)
		}
	}
	left := time.Duration(0)
	if avail := posted.Balance - others; avail > 0 && perMin > 0 {
		left = time.Duration(int64(avail) * 60 / int64(perMin) * int64(time.Second))
	}
	return time.Duration(secs) * time.Second, left, nil
}

// End releases the call's reservation and returns what it paid.
func (s *Session) End() money.Credits {
	if s.ended {
		return s.charged
	}
	s.ended = true
	if !s.free {
		s.m.mu.Lock()
		s.m.reserved -= s.reserved
		s.m.perMin -= s.rate.PricePerMinute
		s.m.mu.Unlock()
		s.reserved = 0
	}
	return s.charged
}

// Reserved returns what running calls hold.
func (m *Meter) Reserved() money.Credits {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.reserved
}

// Charged returns what a call (its Ref) has paid, from the ledger: for a
// call a crash cut short.
func (m *Meter) Charged(ctx context.Context, ref string) (money.Credits, error) {
	return m.ledger.Charged(ctx, "call:"+ref+":")
}

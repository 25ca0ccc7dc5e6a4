package billing

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"

	"pbx/groupcommit"
	"pbx/money"
)

// Peers are the other servers whose meters charge the same wallet (the
// other nodes of a cluster), as one meter sees them. Both methods are
// called inside the meter's transaction, with the wallet row locked, and
// must use tx: while one server checks the credit and publishes what its
// calls hold, no other server checks, so a call admitted on each of two
// servers at once is counted by the second.
type Peers interface {
	// Reserved returns what the running calls of the live other servers
	// hold; a server that stopped beating holds nothing.
	Reserved(ctx context.Context, tx *gorm.DB) (money.Credits, error)
	// Hold publishes that this server's calls hold total.
	Hold(ctx context.Context, tx *gorm.DB, total money.Credits) error
}

// SharedWith makes the meter one of several charging the wallet: a call is
// admitted only if the balance, less what the calls of this meter and of
// the peers hold, pays its first charge. What this meter holds is
// published at once when it grows past what the peers were last told, and
// by Publish otherwise (it only shrank: the peers count too much meanwhile,
// never too little), so at a high call rate most calls write nothing.
func SharedWith(p Peers) MeterOption {
	return func(m *Meter) {
		m.peers = p
		m.claims = groupcommit.New(maxBatch, m.writeClaims)
	}
}

// claim is one authorisation (or, with amount 0, a Publish) waiting for
// its batch.
type claim struct {
	amount money.Credits // the call's first charge
	perMin money.Credits // the call's price a minute
	err    error
}

// reserveShared reserves first for a call costing perMin a minute, or
// fails with ErrInsufficientCredit. Authorisations at once on this server
// go together in one transaction.
func (m *Meter) reserveShared(ctx context.Context, first, perMin money.Credits) error {
	c := &claim{amount: first, perMin: perMin}
	m.claims.Do(ctx, c)
	return c.err
}

// Publish tells the peers what this meter's calls hold now, if that
// changed since they were last told: a server calls it on its heartbeat.
// It does nothing without peers.
func (m *Meter) Publish(ctx context.Context) error {
	if m.peers == nil {
		return nil
	}
	m.mu.Lock()
	same := m.reserved == m.published
	m.mu.Unlock()
	if same {
		return nil
	}
	c := &claim{}
	m.claims.Do(ctx, c)
	return c.err
}

// writeClaims decides a batch of claims in one transaction: the wallet row
// locked, the balance and the peers' reservations read, each claim
// admitted in order while what is left pays it, and what this meter then
// holds published before the lock is released.
func (m *Meter) writeClaims(ctx context.Context, batch []*claim) {
	var admitted, perMin, total money.Credits
	var wrote bool
	err := m.ledger.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		admitted, perMin, wrote = 0, 0, false
		var balance []int64
		if err := tx.Raw("SELECT balance FROM billing_wallet WHERE id = 1" + m.ledger.forUpdate).Scan(&balance).Error; err != nil {
			return err
		}
		if len(balance) != 1 {
			return errors.New("no wallet row: billing's migrations were not applied")
		}
		others, err := m.peers.Reserved(ctx, tx)
		if err != nil {
			return err
		}
		// Only this function adds reservations (one batch at a time); the
		// calls may meanwhile release theirs, which leaves the peers told
		// too much until the next Publish, never too little.
		m.mu.Lock()
		held, published := m.reserved, m.published
		m.mu.Unlock()
		publish := false
		for _, c := range batch {
			c.err = nil
			if c.amount == 0 {
				publish = true
				continue
			}
			if money.Credits(balance[0])-others-held-admitted < c.amount {
				c.err = ErrInsufficientCredit
				continue
			}
			admitted += c.amount
			perMin += c.perMin
		}
		total = held + admitted
		if total > published || (publish && total != published) {
			if err := m.peers.Hold(ctx, tx, total); err != nil {
				return err
			}
			wrote = true
		}
		return nil
	})
	if err != nil {
		for _, c := range batch {
			c.err = fmt.Errorf("reserve credit: %w", err)
		}
		return
	}
	m.mu.Lock()
	m.reserved += admitted
	m.perMin += perMin
	if wrote {
		m.published = total
	}
	m.mu.Unlock()
	for _, c := range batch {
		if errors.Is(c.err, ErrInsufficientCredit) {
			m.ledger.metrics.refusal("credit")
		}
	}
}

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"gorm.io/gorm"

	"pbx/billing"
	"pbx/configs"
	"pbx/money"
	"pbx/routing"
)

// billingParts are billing's pieces the rest of the server uses.
type billingParts struct {
	cfg     configs.Billing
	notes   *billing.Notifier
	wallet  *billing.Wallet
	subs    *billing.Subscriptions
	storage *billing.Storage
	rates   *billing.Rates
	meter   *billing.Meter // nil when billing is off
}

func newBilling(ctx context.Context, cfg configs.Billing, db *gorm.DB, history *routing.History, reg prometheus.Registerer, log *slog.Logger, ledgerOpts []billing.LedgerOption, opts ...billing.MeterOption) (*billingParts, error) {
	rate, err := money.ParseExchangeRate(cfg.ExchangeRate)
	if err != nil {
		return nil, err // validated with the configuration
	}
	loc, err := time.LoadLocation(cfg.TimeZone)
	if err != nil {
		return nil, err // validated with the configuration
	}
	weekStart, _ := cfg.Weekday()
	ledger := billing.NewLedger(db, time.Now, ledgerOpts...)
	billing.NewMetrics(reg, ledger)
	b := &billingParts{cfg: cfg, rates: billing.NewRates(db, time.Now),
		notes: billing.NewNotifier(db, cfg.WebhookURL, cfg.WebhookSecret, log, time.Now)}
	b.wallet = billing.NewWallet(db, ledger, billing.Manual{}, b.notes, billing.WalletConfig{Currency: cfg.Currency, Rate: rate,
		PartnerManaged: cfg.PartnerManaged, Calendar: billing.Calendar{Location: loc, WeekStart: weekStart}}, log, time.Now)
	b.subs = billing.NewSubscriptions(db, ledger, b.notes, billing.Calendar{Location: loc, WeekStart: weekStart}, cfg.BillingDay, time.Now)
	b.storage = billing.NewStorage(b.wallet, b.subs, b.notes, history.RecordedSeconds)
	if !cfg.Enabled {
		log.Warn("billing is off: every call is free (billing.enabled, PBX_BILLING_ENABLED)")
		return b, nil
	}
	b.meter = billing.NewMeter(ledger, b.rates, log, opts...)
	b.meter.SetUnrated(billing.Outbound, cfg.UnratedOutbound)
	b.meter.SetUnrated(billing.Inbound, cfg.UnratedInbound)
	existing, err := b.rates.List(ctx)
	if err != nil {
		return nil, err
	}
	if len(existing) == 0 {
		data, err := cfg.RatesCSV()
		if err != nil {
			return nil, err
		}
		n, err := b.rates.ImportCSV(ctx, bytes.NewReader(data))
		if err != nil {
			// Nodes of a cluster starting together all find no rates; the
			// first to load them wins and the others fail on its rows.
			if again, lerr := b.rates.List(ctx); lerr != nil || len(again) == 0 {
				return nil, fmt.Errorf("load rates: %w", err)
			}
			log.Info("rates loaded by another node")
		} else {
			log.Info("rates loaded", "count", n, "file", cmpOr(cfg.Rates, "built-in example rates"))
		}
	}
	return b, nil
}

func cmpOr(a, b string) string {
	if a == "" {
		return b
	}
	return a
}

func (b *billingParts) engineOptions() []routing.Option {
	if b.meter == nil {
		return nil
	}
	return []routing.Option{routing.WithMeter(meterFor{b.meter}), routing.WithRecordingQuota(b.storage)}
}

// meterFor is billing's meter as the engine sees it.
type meterFor struct{ m *billing.Meter }

func (m meterFor) Authorize(ctx context.Context, c routing.Billable) (routing.Metered, error) {
	s, err := m.m.Authorize(ctx, billing.Call{Ref: c.Ref, Direction: c.Direction, Number: c.Number, NumberType: c.NumberType})
	switch {
	case errors.Is(err, billing.ErrInsufficientCredit):
		return nil, routing.ErrInsufficientCredit
	case errors.Is(err, billing.ErrNoRate):
		return nil, routing.ErrNoRate
	case err != nil:
		return nil, err
	}
	return metered{s}, nil
}

func (m meterFor) Charged(ctx context.Context, ref string) (money.Credits, error) {
	return m.m.Charged(ctx, ref)
}

// metered is one call's charges as the engine sees them.
type metered struct{ *billing.Session }

func (s metered) Start(ctx context.Context) (time.Duration, time.Duration, error) {
	paid, left, err := s.Session.Start(ctx)
	return paid, left, creditErr(err)
}

func (s metered) Next(ctx context.Context) (time.Duration, time.Duration, error) {
	paid, left, err := s.Session.Next(ctx)
	return paid, left, creditErr(err)
}

func (s metered) Rate() string {
	r, ok := s.Session.Rate()
	if !ok {
		return ""
	}
	desc := fmt.Sprintf("%s/min %s", r.PricePerMinute, r.Increment)
	if r.ConnectionFee != 0 {
		desc += " +" + r.ConnectionFee.String()
	}
	return desc
}

func creditErr(err error) error {
	if errors.Is(err, billing.ErrInsufficientCredit) {
		return routing.ErrInsufficientCredit
	}
	return err
}

// chargeEvery is how often the monthly charges are looked at: a month is
// charged within this of its billing day, and an unpaid one retried.
const chargeEvery = time.Hour

// runMonthly charges the numbers and the storage plan every chargeEvery,
// from start, until ctx ends, and deletes the recordings past the
// auto-delete age. A number unpaid past the grace period is deleted through
// dir (and so stops ringing); an unpaid storage plan falls back to the free
// one.
func (b *billingParts) runMonthly(ctx context.Context, dir *routing.Directory, engine *routing.Engine, log *slog.Logger) error {
	if !b.cfg.Enabled {
		return nil
	}
	release := func(ctx context.Context, sub billing.Subscription) error {
		if sub.Kind == billing.SubStorage {
			return b.storage.FallBack(ctx)
		}
		numbers, err := dir.ListNumbers(ctx, routing.NumberFilter{})
		if err != nil {
			return err
		}
		for _, n := range numbers {
			if n.E164 == sub.Ref {
				return dir.DeleteNumber(ctx, n.ID)
			}
		}
		return nil
	}
	t := time.NewTicker(chargeEvery)
	defer t.Stop()
	for {
		if n, err := b.subs.ChargeMonths(ctx, release); err != nil && ctx.Err() == nil {
			log.Error("monthly charges", "error", err)
		} else if n > 0 {
			log.Info("monthly charges", "charged", n)
		}
		if before, on, err := b.storage.AutoDeleteBefore(ctx, time.Now()); err != nil && ctx.Err() == nil {
			log.Error("auto-delete", "error", err)
		} else if on {
			if _, err := engine.DeleteRecordingsBefore(ctx, before); err != nil && ctx.Err() == nil {
				log.Error("auto-delete", "error", err)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

package billing

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are billing's Prometheus series. Every label comes from a fixed
// set.
type Metrics struct {
	charged  *prometheus.CounterVec // credits, by kind
	refused  *prometheus.CounterVec // calls, by reason
	recharge *prometheus.CounterVec // auto-recharges, by result
}

// NewMetrics registers billing's series in reg; the balance is read from
// ledger when scraped.
func NewMetrics(reg prometheus.Registerer, ledger *Ledger) *Metrics {
	m := &Metrics{
		charged: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pbx_billing_charged_credits_total",
			Help: "Credits charged, by kind (call, number, storage).",
		}, []string{"kind"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pbx_billing_calls_refused_total",
			Help: "Calls refused by billing, by reason (credit, rate).",
		}, []string{"reason"}),
		recharge: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pbx_billing_auto_recharges_total",
			Help: "Auto-recharges, by result (done, failed).",
		}, []string{"result"}),
	}
	for _, k := range []string{KindCall, KindNumber, KindStorage} {
		m.charged.WithLabelValues(k)
	}
	for _, r := range []string{"credit", "rate"} {
		m.refused.WithLabelValues(r)
	}
	for _, r := range []string{"done", "failed"} {
		m.recharge.WithLabelValues(r)
	}
	balance := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "pbx_billing_balance_credits",
		Help: "The wallet's balance, in credits.",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		b, err := ledger.Balance(ctx)
		if err != nil {
			return 0
		}
		return float64(b) / 1e6
	})
	reg.MustRegister(m.charged, m.refused, m.recharge, balance)
	ledger.metrics = m
	return m
}

func (m *Metrics) posted(e Entry) {
	if m == nil || e.Amount >= 0 {
		return
	}
	switch e.Kind {
	case KindCall, KindNumber, KindStorage:
		m.charged.WithLabelValues(e.Kind).Add(float64(-e.Amount) / 1e6)
	}
}

func (m *Metrics) refusal(reason string) {
	if m != nil {
		m.refused.WithLabelValues(reason).Inc()
	}
}

func (m *Metrics) recharged(ok bool) {
	if m == nil {
		return
	}
	if ok {
		m.recharge.WithLabelValues("done").Inc()
	} else {
		m.recharge.WithLabelValues("failed").Inc()
	}
}

package sip

import (
	"strconv"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/prometheus/client_golang/prometheus"

	"pbx/media"
)

// Metrics are the SIP edge's Prometheus series.
type Metrics struct {
	requests       *prometheus.CounterVec
	answeredMu     sync.RWMutex
	answered       map[answerKey]prometheus.Counter // requests' counters, looked up once each
	authFailures   prometheus.Counter
	accountLocks   prometheus.Counter
	blockedPackets prometheus.Counter
	rateLimited    prometheus.Counter
	shed           prometheus.Counter
	rtp            *prometheus.CounterVec
	rtpLost        *prometheus.CounterVec
	calls          prometheus.Counter
	lateness       prometheus.Histogram
	dtmf           *prometheus.CounterVec
	playing        prometheus.Gauge
	limited        *prometheus.CounterVec

	tcpOpen         prometheus.Gauge
	tcpRefused      *prometheus.CounterVec
	tcpClosed       *prometheus.CounterVec
	tcpAcceptErrors prometheus.Counter
}

// observeLateness records how late a prompt's RTP packet left against its
// 20 ms schedule.
func (m *Metrics) observeLateness(late time.Duration) { m.lateness.Observe(late.Seconds()) }

// How a key press reached the PBX: the pbx_dtmf_keys_total labels.
const (
	dtmfRFC4733 = "rfc4733"
	dtmfInfo    = "info"
)

type answerKey struct {
	method string // a methodLabel
	code   int
}

// answer counts a final response to a method (a methodLabel). Every
// request ends here: the counter is found once per method and code, not
// hashed from its labels (and the code formatted) on each answer.
func (m *Metrics) answer(method string, code int) {
	k := answerKey{method, code}
	m.answeredMu.RLock()
	c, ok := m.answered[k]
	m.answeredMu.RUnlock()
	if !ok {
		c = m.requests.WithLabelValues(method, codeLabel(code))
		m.answeredMu.Lock()
		if m.answered == nil {
			m.answered = make(map[answerKey]prometheus.Counter)
		}
		m.answered[k] = c
		m.answeredMu.Unlock()
	}
	c.Inc()
}

// methodLabel is the pbx_sip_requests_total label for a request's method:
// the method itself when it is one of RFC 3261 and its extensions, else
// "other". A label taken from the wire would let anyone create series
// without end, each held in memory for the life of the process.
func methodLabel(m sip.RequestMethod) string {
	if knownMethods[m] {
		return string(m)
	}
	return "other"
}

// codeLabel is the label for a response code: codes are ours, but a value
// outside 100-699 would still be no SIP code.
func codeLabel(code int) string {
	if code < 100 || code > 699 {
		return "other"
	}
	return strconv.Itoa(code)
}

// NewMetrics creates the SIP series and registers them, with gauges read from
// loc and guard at scrape time, in reg.
func NewMetrics(reg prometheus.Registerer, loc *Location, guard *Guard, active func() int) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pbx_sip_requests_total",
			Help: "SIP requests answered, by method (\"other\" for methods not in RFC 3261 or its extensions) and final response code.",
		}, []string{"method", "code"}),
		authFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pbx_sip_auth_failures_total",
			Help: "Digest authentications refused (unknown user or wrong password).",
		}),
		accountLocks: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pbx_sip_account_locks_total",
			Help: "Accounts locked against new devices after repeated authentication failures from any source.",
		}),
		blockedPackets: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pbx_sip_blocked_packets_total",
			Help: "SIP packets dropped because their source is blocked.",
		}),
		rateLimited: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pbx_sip_rate_limited_total",
			Help: "SIP packets dropped because their source sent more requests than sip.rate_limit allows.",
		}),
		shed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pbx_sip_shed_total",
			Help: "REGISTERs dropped unanswered because the registrar's queue was full (the phone retransmits).",
		}),
	}
	m.rtp = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "pbx_rtp_packets_relayed_total",
		Help: "RTP packets relayed between the legs of finished calls, by direction.",
	}, []string{"direction"})
	m.rtpLost = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "pbx_rtp_packets_lost_total",
		Help: "RTP packets missing (sequence gaps) in what finished calls received, by direction.",
	}, []string{"direction"})
	m.calls = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "pbx_calls_bridged_total",
		Help: "Calls answered and bridged.",
	})
	m.lateness = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "pbx_rtp_send_lateness_seconds",
		Help: "How late the PBX sent each RTP packet of its prompts and music against the 20 ms schedule.",
		// Fine around the 1 ms a packet may be late by (bench/media reads
		// its p99 from these buckets).
		Buckets: []float64{0.00005, 0.0001, 0.00025, 0.0005, 0.00075, 0.001, 0.0015, 0.002, 0.003, 0.004, 0.005, 0.0075, 0.01, 0.02, 0.05, 0.1},
	})
	m.dtmf = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "pbx_dtmf_keys_total",
		Help: "Keys callers pressed that the PBX heard while answering them itself, by method (rfc4733, info).",
	}, []string{"method"})
	m.dtmf.WithLabelValues(dtmfRFC4733)
	m.dtmf.WithLabelValues(dtmfInfo)
	m.playing = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "pbx_calls_playing",
		Help: "Calls the PBX is playing a prompt or hold music to now.",
	})
	m.limited = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "pbx_sip_calls_limited_total",
		Help: "Calls refused for a cap on calls in progress, by limit (user, source, trunk).",
	}, []string{"limit"})
	for _, l := range []string{limitUser, limitSource, limitTrunk} {
		m.limited.WithLabelValues(l)
	}
	reg.MustRegister(m.lateness, m.dtmf, m.playing, m.limited)
	m.tcpOpen = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "pbx_sip_tcp_connections",
		Help: "SIP TCP connections open now from peers.",
	})
	m.tcpRefused = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "pbx_sip_tcp_refused_total",
		Help: "SIP TCP connections closed as soon as accepted, by reason (per_source: the source's limit; capacity: the global cap, every connection having sent a message).",
	}, []string{"reason"})
	m.tcpClosed = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "pbx_sip_tcp_closed_total",
		Help: "SIP TCP connections the server closed, by reason (message_timeout, idle_timeout, write_timeout, evicted: made room at the cap before sending a message).",
	}, []string{"reason"})
	for _, r := range []string{refusedPerSource, refusedCapacity} {
		m.tcpRefused.WithLabelValues(r)
	}
	for _, r := range []string{closedMessageTimeout, closedIdleTimeout, closedWriteTimeout, closedEvicted} {
		m.tcpClosed.WithLabelValues(r)
	}
	m.tcpAcceptErrors = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "pbx_sip_tcp_accept_errors_total",
		Help: "Failed accepts on the SIP TCP listener (out of descriptors, among others), each retried after a back-off.",
	})
	reg.MustRegister(m.tcpOpen, m.tcpRefused, m.tcpClosed, m.tcpAcceptErrors)
	reg.MustRegister(m.requests, m.authFailures, m.accountLocks, m.blockedPackets, m.rateLimited, m.shed, m.rtp, m.rtpLost, m.calls,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "pbx_registrations",
			Help: "Devices registered now.",
		}, func() float64 { return float64(loc.Count()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "pbx_calls_active",
			Help: "Calls in progress (ringing or bridged).",
		}, func() float64 { return float64(active()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "pbx_sip_blocked_sources",
			Help: "Source addresses blocked now for failing authentication.",
		}, func() float64 { return float64(guard.BlockedCount()) }),
	)
	return m
}

// registerPorts adds the media port pool's series to reg, read at scrape
// time.
func registerPorts(reg prometheus.Registerer, ports *media.PortPool) {
	reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "pbx_rtp_ports_in_use",
			Help: "RTP/RTCP port pairs held by calls now.",
		}, func() float64 { return float64(ports.InUse()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "pbx_rtp_foreign_packets_total",
			Help: "RTP packets dropped because they came from an address other than the leg's peer (a port sweep, RTP Bleed).",
		}, func() float64 { return float64(ports.Foreign()) }),
	)
}

// Package routing owns who takes calls and how they reach them: phone users,
// phone groups, numbers and call flows, and the engine that runs a call
// through its flow. It never imports sip; it declares the few call operations
// it needs and the sip package's call satisfies them. It decides why a call
// is refused (a refusal.Reason), never the SIP status that answers it.
package routing

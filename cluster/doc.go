// Package cluster makes one pbx server a node of several that share a
// PostgreSQL database behind a SIP load balancer: each node beats a
// heartbeat, reads the settings all nodes must agree on (made once, by
// whichever node comes first), and tells the others which agents are on a
// call on it, so "busy" and queues hold across nodes. It knows nothing of
// SIP or call flows: cmd/pbx wires it between them. It must not hold
// state that a node's death would lose: what the others need is in the
// database.
package cluster

// Package cluster makes one pbx server a node of several that share a
// PostgreSQL database behind a SIP load balancer: each node beats a
// heartbeat, reads the settings all nodes must agree on (made once, by
// whichever node comes first), tells the others which agents are on a
// call on it, so "busy" and queues hold across nodes, and what its calls
// hold of the wallet, so a call is admitted against the credit all the
// nodes' calls leave. It knows nothing of SIP, call flows or billing:
// cmd/pbx wires it between them. It must not hold state that a node's
// death would lose: what the others need is in the database.
package cluster

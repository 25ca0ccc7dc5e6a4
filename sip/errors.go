package sip

import "errors"

var (
	// ErrUnknownAccount is returned by an Accounts implementation when no
	// phone user has the SIP username asked for.
	ErrUnknownAccount = errors.New("unknown account")
	// ErrOutOfOrder refuses a REGISTER older than the one that made the binding (RFC 3261 10.3).
	ErrOutOfOrder = errors.New("register out of order")
	// ErrNotServing is the health of a SIP edge that is not answering requests.
	ErrNotServing = errors.New("sip not serving")
)

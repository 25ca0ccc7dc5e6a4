package routing

import "errors"

// ErrNotFound is returned when the user, group, number or flow asked for does not exist.
var ErrNotFound = errors.New("not found")

// Why a call to a number has no flow to run; the call is rejected.
var (
	// ErrNoSuchNumber: the number called is not one of the PBX's numbers.
	ErrNoSuchNumber = errors.New("no such number")
	// ErrNoFlow: the number is linked to no call flow.
	ErrNoFlow = errors.New("number has no call flow")
	// ErrFlowDisabled: the number's flow is disabled.
	ErrFlowDisabled = errors.New("call flow is disabled")
	// ErrFlowNotPublished: the number's flow has a draft but was never published.
	ErrFlowNotPublished = errors.New("call flow is not published")
)

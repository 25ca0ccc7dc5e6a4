package routing

import "errors"

// ErrNotFound is returned when the user, group, number or flow asked for does not exist.
var ErrNotFound = errors.New("not found")

package web

import (
	"errors"
	"fmt"
)

var (
	// ErrWrongPassword is returned when a sign-in or password change names the wrong password.
	ErrWrongPassword = errors.New("wrong password")
	// ErrNoSession is returned for a session id that is unknown, signed out or expired.
	ErrNoSession = errors.New("no such session")
	// ErrNoToken is returned for an API token that does not exist or was revoked.
	ErrNoToken = errors.New("no such token")
	// ErrBootstrapRetired is returned for PBX_ADMIN_TOKEN sent as a bearer
	// token once the admin password is set. It is also an ErrNoToken.
	ErrBootstrapRetired = fmt.Errorf("PBX_ADMIN_TOKEN is no longer a bearer token once the admin password is set: %w", ErrNoToken)
)

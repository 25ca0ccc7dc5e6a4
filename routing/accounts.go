package routing

import (
	"context"
	"errors"
)

// sipAccount is a cached SIP username lookup, found or not.
type sipAccount struct {
	user  User
	found bool
}

// UserBySIPUsername returns the user who registers as username, or
// ErrNotFound. Answers, misses included, come from memory when recent.
func (d *Directory) UserBySIPUsername(ctx context.Context, username string) (User, error) {
	if a, ok := d.accounts.get(username); ok {
		if !a.found {
			return User{}, errNoSIPUser(username)
		}
		return a.user, nil
	}
	gen := d.accounts.generation() // a password changed during the read is not cached over
	var u User
	err := d.db.WithContext(ctx).Where("sip_username = ?", username).Take(&u).Error
	switch {
	case err == nil:
		d.accounts.putIf(gen, username, sipAccount{user: u, found: true})
		return u, nil
	case errors.Is(err, errRecordNotFound):
		d.accounts.putIf(gen, username, sipAccount{})
		return User{}, errNoSIPUser(username)
	}
	return User{}, err
}

// SIPUserCached reports whether UserBySIPUsername would answer for
// username from memory, without a database read.
func (d *Directory) SIPUserCached(username string) bool {
	_, ok := d.accounts.get(username)
	return ok
}

package sip

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// trunkExpires is the registration lifetime asked of carriers; the PBX
// renews at half of what the carrier grants.
const trunkExpires = 3600

// TrunkRegistration is the live state of the PBX's registration to a
// carrier, for trunks with register set.
type TrunkRegistration struct {
	Registered bool      `json:"registered"`
	Expires    time.Time `json:"expires_at,omitzero"`
	Error      string    `json:"error,omitempty"`
	next       time.Time // when to register again
}

// registrations keeps the state of each trunk's registration.
type registrations struct {
	mu    sync.Mutex
	state map[uint]TrunkRegistration
}

func (r *registrations) get(id uint) (TrunkRegistration, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	st, ok := r.state[id]
	return st, ok
}

func (r *registrations) set(id uint, st TrunkRegistration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.state == nil {
		r.state = make(map[uint]TrunkRegistration)
	}
	r.state[id] = st
}

// registerTrunks keeps the PBX registered to every enabled trunk that asks
// for it, renewing at half the granted time and retrying failures every
// 30 s. Serve un-registers on shutdown.
func (s *Server) registerTrunks(ctx context.Context) {
	if s.trunks == nil {
		return
	}
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	for first := true; ; first = false {
		if !first {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
		var due []Trunk
		if err := s.trunks.db.WithContext(ctx).Where("enabled = ? AND register = ?", true, true).Find(&due).Error; err != nil {
			continue
		}
		now := s.now()
		for _, tr := range due {
			if st, ok := s.trunks.reg.get(tr.ID); ok && now.Before(st.next) {
				continue
			}
			st := s.registerTrunk(ctx, tr, trunkExpires)
			s.trunks.reg.set(tr.ID, st)
		}
	}
}

// registerTrunk sends one REGISTER (answering a digest challenge) and
// returns the state it leaves.
func (s *Server) registerTrunk(ctx context.Context, tr Trunk, expires int) TrunkRegistration {
	now := s.now()
	fail := func(err error) TrunkRegistration {
		s.log.Warn("trunk registration failed", "trunk", tr.Name, "error", err)
		return TrunkRegistration{Error: err.Error(), next: now.Add(30 * time.Second)}
	}
	aor := sip.Uri{Scheme: "sip", User: tr.Username, Host: tr.Host, Port: tr.Port}
	req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: tr.Host, Port: tr.Port})
	req.AppendHeader(&sip.ToHeader{Address: aor})
	req.AppendHeader(&sip.FromHeader{Address: aor, Params: sip.HeaderParams{{K: "tag", V: sip.GenerateTagN(16)}}})
	contact := s.contact.Clone()
	contact.Address.User = tr.Username
	req.AppendHeader(contact)
	req.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(expires)))
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	res, err := s.client.Do(rctx, req, sipgo.ClientRequestRegisterBuild)
	if err == nil && (res.StatusCode == 401 || res.StatusCode == 407) {
		res, err = s.client.DoDigestAuth(rctx, req, res, sipgo.DigestAuth{Username: tr.Username, Password: tr.Password})
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil:
		// The admin reads this on the trunks page: say what happened, not how Go noticed.
		return fail(fmt.Errorf("no answer from %s within 10 s", net.JoinHostPort(tr.Host, strconv.Itoa(tr.Port))))
	case err != nil:
		return fail(err)
	case res.StatusCode != 200:
		return fail(fmt.Errorf("%d %s", res.StatusCode, res.Reason))
	}
	granted := expires
	if h := res.GetHeader("Expires"); h != nil {
		if n, err := strconv.Atoi(h.Value()); err == nil && n > 0 {
			granted = n
		}
	}
	if c := res.Contact(); c != nil {
		if v, ok := c.Params.Get("expires"); ok {
			if n, err := strconv.Atoi(v); err == nil && n > 0 {
				granted = n
			}
		}
	}
	if expires == 0 {
		return TrunkRegistration{}
	}
	s.log.Info("registered to trunk", "trunk", tr.Name, "expires", granted)
	return TrunkRegistration{Registered: true, Expires: now.Add(time.Duration(granted) * time.Second),
		next: now.Add(time.Duration(granted) * time.Second / 2)}
}

// unregisterTrunks removes the PBX's registrations as it stops.
func (s *Server) unregisterTrunks() {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	var all []Trunk
	if err := s.trunks.db.WithContext(ctx).Where("enabled = ? AND register = ?", true, true).Find(&all).Error; err != nil {
		return
	}
	for _, tr := range all {
		if st, ok := s.trunks.reg.get(tr.ID); ok && st.Registered {
			s.registerTrunk(ctx, tr, 0)
		}
	}
}

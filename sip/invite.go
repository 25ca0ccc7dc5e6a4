package sip

import (
	"net/netip"

	"github.com/emiago/sipgo/sip"
)

// serveInvite admits a call: it must come from a carrier trunk's networks or
// from a phone user who proves who they are (407 challenge). Anyone else is
// challenged like a user, so an INVITE scan learns nothing: the PBX is never
// an open relay. Routing admitted calls arrives with the B2BUA; until then
// they are answered 480.
func (s *Server) serveInvite(req *sip.Request, tx sip.ServerTransaction) {
	if s.trunks != nil {
		if ip, err := netip.ParseAddrPort(req.Source()); err == nil {
			if trunk, ok := s.trunks.Match(ip.Addr()); ok {
				s.log.Info("call from trunk", "trunk", trunk.Name, "remote", req.Source(), "to", req.Recipient.User)
				respond(tx, req, 480, "Temporarily Unavailable", nil)
				return
			}
		}
	}
	acct, ok := s.auth.Authenticate(req, tx, 407)
	if !ok {
		return
	}
	s.log.Info("call from user", "user", acct.Username, "to", req.Recipient.User)
	respond(tx, req, 480, "Temporarily Unavailable", nil)
}

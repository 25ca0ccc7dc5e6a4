package sip

import (
	"net/netip"
	"strings"

	"github.com/emiago/sipgo/sip"
)

// serveInvite admits a call: it must come from a carrier trunk's networks or
// from a phone user who proves who they are (407 challenge). Anyone else is
// challenged like a user, so an INVITE scan learns nothing: the PBX is never
// an open relay. An INVITE inside a dialog (a re-INVITE) is answered by the
// dialog it belongs to.
func (s *Server) serveInvite(req *sip.Request, tx sip.ServerTransaction) {
	if to := req.To(); to != nil && to.Params.Has("tag") {
		s.serveReinvite(req, tx)
		return
	}
	in := Inbound{From: req.From().Address.User, To: req.Recipient.User}
	if s.trunks != nil {
		// Behind a balancer, the carrier is where the balancer says.
		if ip, err := netip.ParseAddrPort(s.proxies.origin(req)); err == nil {
			if trunk, ok := s.trunks.Match(ip.Addr()); ok {
				in.TrunkID, in.To = trunk.ID, e164(req.Recipient.User)
				s.serveCall(req, tx, in)
				return
			}
		}
	}
	// beforeTransaction authenticated the INVITE before its transaction
	// existed; checking again would count the nonce twice.
	acct, ok := s.admitted.take(req)
	if !ok {
		if acct, ok = s.auth.Authenticate(req, tx, 407); !ok {
			return
		}
	}
	in.From, in.Presented = acct.Username, in.From
	s.serveCall(req, tx, in)
}

// e164 writes a dialed number as E.164 when it is one written without the
// plus, as carriers often send it.
func e164(n string) string {
	if strings.HasPrefix(n, "+") || len(n) < 8 {
		return n
	}
	for _, r := range n {
		if r < '0' || r > '9' {
			return n
		}
	}
	return "+" + n
}

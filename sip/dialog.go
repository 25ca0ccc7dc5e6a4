package sip

import (
	"github.com/emiago/sipgo/sip"
)

// serveInvite is in invite.go; these handle the rest of a call's dialog.

// serveAck confirms the 2xx we sent a caller; other ACKs end their
// transaction inside sipgo.
func (s *Server) serveAck(req *sip.Request, tx sip.ServerTransaction) {
	if s.callers != nil {
		_ = s.callers.ReadAck(req, tx)
	}
}

// serveBye ends a dialog from either side: the caller's leg or an agent's.
func (s *Server) serveBye(req *sip.Request, tx sip.ServerTransaction) {
	if s.callers != nil {
		if err := s.callers.ReadBye(req, tx); err == nil {
			return
		}
	}
	if s.agents != nil {
		if err := s.agents.ReadBye(req, tx); err == nil {
			return
		}
	}
	respond(tx, req, 481, "Call/Transaction Does Not Exist", nil)
}

// serveReinvite answers a re-INVITE (hold, resume, a new address) within a
// call's dialog. Not yet relayed to the other side: answered 488 so the
// phone keeps the session it has.
func (s *Server) serveReinvite(req *sip.Request, tx sip.ServerTransaction) {
	respond(tx, req, 488, "Not Acceptable Here", nil)
}

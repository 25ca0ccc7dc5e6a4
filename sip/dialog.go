package sip

import (
	"github.com/emiago/sipgo/sip"

	"pbx/media"
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

// leg is one side of a bridged call, found by its dialog for in-dialog requests.
type leg struct {
	call   *Call
	caller bool // the caller's leg; else the agent's
}

func (s *Server) addLeg(id string, l leg) {
	s.callsMu.Lock()
	s.legs[id] = l
	s.callsMu.Unlock()
}

func (s *Server) dropLeg(id string) {
	s.callsMu.Lock()
	delete(s.legs, id)
	s.callsMu.Unlock()
}

// findLeg returns the call leg an in-dialog request belongs to.
func (s *Server) findLeg(req *sip.Request) (leg, bool) {
	s.callsMu.Lock()
	defer s.callsMu.Unlock()
	if id, err := sip.DialogIDFromRequestUAS(req); err == nil {
		if l, ok := s.legs[id]; ok {
			return l, true
		}
	}
	if id, err := sip.DialogIDFromRequestUAC(req); err == nil {
		if l, ok := s.legs[id]; ok {
			return l, true
		}
	}
	return leg{}, false
}

// serveReinvite answers a re-INVITE within a call: hold (sendonly,
// inactive, c=0.0.0.0), resume, a new address, or no SDP at all (we offer,
// the ACK answers). The PBX anchors the media, so the other side need not
// know: the relay pauses its dead-media check while a side holds.
func (s *Server) serveReinvite(req *sip.Request, tx sip.ServerTransaction) {
	l, ok := s.findLeg(req)
	if !ok {
		respond(tx, req, 481, "Call/Transaction Does Not Exist", nil)
		return
	}
	c := l.call
	m, relay := c.media(l.caller)
	if m == nil {
		respond(tx, req, 491, "Request Pending", nil)
		return
	}
	local := s.local(m, []string{m.Format().Audio.Name})
	local.Version = c.sdpVersion.Add(1)
	var body []byte
	if len(req.Body()) == 0 {
		body = media.Offer(local, media.SendRecv).Marshal()
		relay.SetHold(false)
		if !l.caller {
			c.holdMusic(false)
		}
	} else {
		offer, err := media.ParseSDP(req.Body())
		if err != nil {
			respond(tx, req, 488, "Not Acceptable Here", nil)
			return
		}
		ans, err := media.Answer(offer, local)
		if err != nil {
			respond(tx, req, 488, "Not Acceptable Here", nil)
			return
		}
		if !offer.Addr.IsUnspecified() {
			// The peer's signalling address stays the one the call began
			// with: a re-INVITE does not move where media may come from.
			m.SetRemote(offer.Remote(), c.peerSignalling(l.caller))
		}
		relay.SetHold(offer.Hold())
		if !l.caller {
			// The agent holds the caller: the caller hears music meanwhile.
			c.holdMusic(offer.Hold())
		}
		c.log.Info("re-invite", "hold", offer.Hold(), "caller_side", l.caller)
		body = ans.Marshal()
	}
	res := sip.NewResponseFromRequest(req, 200, "OK", body)
	res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	res.AppendHeader(&s.contact)
	_ = tx.Respond(res)
}

package sip

import (
	"bytes"
	"encoding/binary"
	"hash/maphash"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Stateless answers: a request from someone who has not proved who they are
// gets its challenge or refusal once, from no transaction. A transaction
// holds its request and answer for 32 s and resends the answer up to ten
// times over UDP, so a flood of forged INVITEs would cost memory and make
// the PBX a reflection amplifier (one 355-byte INVITE drew 11 answers).
// Only requests that passed authentication, came from a carrier's trunk, or
// belong to a dialog we have get a transaction (RFC 3261 8.2.7 allows a UAS
// to answer statelessly; 17.2.1's ACK to such an answer is absorbed here).

// admissions hands the account a request authenticated as, before its
// transaction existed, to the handler the transaction then runs, so the
// credentials are checked (and their nonce counted) once.
type admissions struct {
	mu sync.Mutex
	m  map[*sip.Request]admission
}

type admission struct {
	acct Account
	at   time.Time
}

func (a *admissions) put(req *sip.Request, acct Account, now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.m == nil {
		a.m = make(map[*sip.Request]admission)
	}
	a.m[req] = admission{acct: acct, at: now}
}

func (a *admissions) take(req *sip.Request) (Account, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	ad, ok := a.m[req]
	delete(a.m, req)
	return ad.acct, ok
}

// sweep forgets admissions no handler took: a retransmission can win the
// race to create the transaction, and the first copy then goes nowhere.
func (a *admissions) sweep(before time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for req, ad := range a.m {
		if ad.at.Before(before) {
			delete(a.m, req)
		}
	}
}

// beforeTransaction sees each request that matches no server transaction,
// before sipgo creates one. It returns true when it has dealt with the
// request itself: answered it statelessly, or absorbed it.
func (s *Server) beforeTransaction(req *sip.Request) bool {
	w := &statelessResponder{s: s, method: methodLabel(req.Method)}
	if req.IsAck() {
		// An ACK to our 2xx belongs to a dialog; one to a stateless
		// non-2xx answer matches nothing and is absorbed.
		return !s.inDialog(req)
	}
	if code, reason, hdrs := check(req); code != 0 {
		respond(w, req, code, reason, hdrs)
		return true
	}
	switch req.Method {
	case sip.OPTIONS:
		answerOptions(w, req)
		return true
	case sip.REGISTER:
		// UDP REGISTERs never get here (readFilter); a REGISTER over TCP
		// is answered the same way, on this goroutine.
		var rw Responder = w
		if s.tcp != nil && req.Transport() == "TCP" {
			rw = &tcpRegistration{Responder: w, l: s.tcp, source: req.Source()}
		}
		s.reg.ServeRegister(req, rw)
		return true
	case sip.CANCEL:
		// A CANCEL that matched a pending INVITE was taken by sipgo.
		respond(w, req, 481, "Call/Transaction Does Not Exist", nil)
		return true
	case sip.BYE, sip.INFO:
		if s.inDialog(req) {
			return false
		}
		respond(w, req, 481, "Call/Transaction Does Not Exist", nil)
		return true
	case sip.INVITE:
		if to := req.To(); to != nil && to.Params.Has("tag") {
			if s.inDialog(req) {
				return false // a re-INVITE
			}
			respond(w, req, 481, "Call/Transaction Does Not Exist", nil)
			return true
		}
		if s.fromTrunk(req) {
			return false
		}
		acct, ok := s.auth.Authenticate(req, w, 407)
		if !ok {
			return true
		}
		s.admitted.put(req, acct, s.now())
		return false
	}
	notAllowed(w, req)
	return true
}

// inDialog reports whether req belongs to a dialog of ours: a caller's, an
// agent's, or a bridged call's leg.
func (s *Server) inDialog(req *sip.Request) bool {
	if s.callers != nil {
		if _, err := s.callers.MatchDialogRequest(req); err == nil {
			return true
		}
	}
	if s.agents != nil {
		if _, err := s.agents.MatchRequestDialog(req); err == nil {
			return true
		}
	}
	_, ok := s.findLeg(req)
	return ok
}

// fromTrunk reports whether req comes from a carrier trunk's networks.
func (s *Server) fromTrunk(req *sip.Request) bool {
	if s.trunks == nil {
		return false
	}
	ap, err := netip.ParseAddrPort(s.proxies.origin(req)) // behind a balancer, where it says
	if err != nil {
		return false
	}
	_, ok := s.trunks.Match(ap.Addr())
	return ok
}

// statelessResponder answers a request outside any transaction, to the
// address the request came from (RFC 3581): over UDP straight from the
// listener, over TCP on the request's connection.
type statelessResponder struct {
	s      *Server
	method string
}

// answer sends req's response over UDP, written straight from the
// request's headers as sip.NewResponseFromRequest and String would write
// it (RFC 3261 8.2.6; RFC 3581 rport), without cloning five headers into
// a Response to serialise them again. It reports false, having sent
// nothing, where only a Response will do (TCP).
func (r *statelessResponder) answer(req *sip.Request, code int, reason string, hdrs []sip.Header) bool {
	if req.Transport() != "UDP" || r.s.udp == nil {
		return false
	}
	ap, err := netip.ParseAddrPort(req.Source())
	if err != nil {
		return false
	}
	buf := r.s.bufs.Get().(*bytes.Buffer)
	defer r.s.bufs.Put(buf)
	buf.Reset()
	buf.WriteString("SIP/2.0 ")
	buf.Write(strconv.AppendInt(buf.AvailableBuffer(), int64(code), 10))
	buf.WriteByte(' ')
	buf.WriteString(reason)
	buf.WriteString("\r\n")
	// Record-Route is copied into 18x and 2xx answers to dialog-making
	// requests (RFC 3261 12.1.1), as NewResponseFromRequest does.
	copyRR := req.Method != sip.REGISTER && !req.IsAck() && ((code >= 180 && code < 190) || (code >= 200 && code < 300))
	top, to := true, false
	for _, h := range req.Headers() {
		switch h := h.(type) {
		case *sip.ViaHeader:
			if top {
				top = false
				if v, ok := h.Params.Get("rport"); ok && v == "" {
					h = h.Clone()
					h.Params.Add("rport", strconv.Itoa(int(ap.Port())))
					h.Params.Add("received", ap.Addr().String())
				}
			}
			h.StringWrite(buf)
		case *sip.ToHeader:
			if to {
				continue
			}
			to = true
			h.StringWrite(buf)
			if !h.Params.Has("tag") {
				buf.WriteString(";tag=")
				r.s.statelessTag(buf, req)
			}
		case *sip.FromHeader, *sip.CallIDHeader, *sip.CSeqHeader:
			if h != sip.Header(req.From()) && h != sip.Header(req.CallID()) && h != sip.Header(req.CSeq()) {
				continue // only the one the request is read by
			}
			h.StringWrite(buf)
		default:
			if !copyRR || !strings.EqualFold(h.Name(), "Record-Route") {
				continue
			}
			h.StringWrite(buf)
		}
		buf.WriteString("\r\n")
	}
	server := true
	for _, h := range hdrs {
		h.StringWrite(buf)
		buf.WriteString("\r\n")
		server = server && !strings.EqualFold(h.Name(), "Server")
	}
	if server {
		buf.WriteString("Server: ")
		buf.WriteString(r.s.cfg.UserAgent)
		buf.WriteString("\r\n")
	}
	buf.WriteString("Content-Length: 0\r\n\r\n")
	if code >= 200 {
		r.s.metrics.answer(r.method, code)
	}
	_, _ = r.s.udp.WriteTo(buf.Bytes(), net.UDPAddrFromAddrPort(ap)) // a lost answer is retransmitted for
	return true
}

// statelessTag writes the To tag of a stateless answer to req: the same
// for every copy of the request (RFC 3261 8.2.7), since no state remembers
// it, and unguessable, being keyed by a secret seed (19.3). It hashes what
// tells one request from another: Call-ID, From tag, top Via branch and CSeq.
func (s *Server) statelessTag(buf *bytes.Buffer, req *sip.Request) {
	var h maphash.Hash
	h.SetSeed(s.tagSeed)
	if c := req.CallID(); c != nil {
		h.WriteString(c.Value())
	}
	h.WriteByte(0)
	if f := req.From(); f != nil {
		tag, _ := f.Params.Get("tag")
		h.WriteString(tag)
	}
	h.WriteByte(0)
	if v := req.Via(); v != nil {
		b, _ := v.Params.Get("branch")
		h.WriteString(b)
	}
	h.WriteByte(0)
	if c := req.CSeq(); c != nil {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], c.SeqNo)
		h.Write(n[:])
		h.WriteString(string(c.MethodName))
	}
	buf.Write(strconv.AppendUint(buf.AvailableBuffer(), h.Sum64(), 36))
}

func (r *statelessResponder) Respond(res *sip.Response) error {
	r.s.count(r.method, res)
	if res.Transport() != "UDP" || r.s.udp == nil {
		return r.s.srv.WriteResponse(res)
	}
	// The destination is always the packet's source, an ip:port: no lookup.
	ap, err := netip.ParseAddrPort(res.Destination())
	if err != nil {
		return err
	}
	buf := r.s.bufs.Get().(*bytes.Buffer)
	buf.Reset()
	res.StringWrite(buf)
	_, err = r.s.udp.WriteTo(buf.Bytes(), net.UDPAddrFromAddrPort(ap))
	r.s.bufs.Put(buf)
	return err
}

// unparsable answers a UDP datagram sipgo could not parse with a stateless
// 400 when it is a request that holds what an answer needs: a Via to
// answer along, and the Call-ID and CSeq the sender matches it by (RFC 3261
// 8.2.2 and 8.2.6, RFC 4475 3.1.2). Anything else is dropped.
func (s *Server) unparsable(info sip.TransportReadProps, data []byte, _ error) {
	if s.udp == nil || info.RemoteAddr == nil {
		return
	}
	method, res := badRequest(data, s.cfg.UserAgent)
	if res == nil {
		return
	}
	s.metrics.answer(methodLabel(sip.RequestMethod(method)), 400)
	_, _ = s.udp.WriteTo(res, info.RemoteAddr)
}

// answerHeaders are the headers a response copies from its request (RFC
// 3261 8.2.6.2), by long and compact name.
var answerHeaders = map[string]string{
	"via": "Via", "v": "Via", "from": "From", "f": "From", "to": "To", "t": "To",
	"call-id": "Call-ID", "i": "Call-ID", "cseq": "CSeq",
}

// badRequest builds a 400 for a request that failed to parse, from its raw
// header lines, or returns nil when data is not a request or lacks a Via,
// Call-ID or CSeq. Header values are copied whole (unfolded): nothing of
// them is interpreted, so whatever made the parser fail cannot make this
// answer go elsewhere than back to the sender.
func badRequest(data []byte, server string) (method string, res []byte) {
	start, rest, ok := bytes.Cut(data, []byte("\r\n"))
	if !ok {
		return "", nil
	}
	fields := strings.Fields(string(start))
	if len(fields) < 2 || strings.HasPrefix(strings.ToUpper(fields[0]), "SIP/") {
		return "", nil // a response, or not SIP: never answered
	}
	var lines [][2]string // name, value
	for len(rest) > 0 {
		var line []byte
		line, rest, _ = bytes.Cut(rest, []byte("\r\n"))
		if len(line) == 0 {
			break // end of the header section
		}
		if line[0] == ' ' || line[0] == '\t' {
			if len(lines) > 0 { // folded: continues the header before
				lines[len(lines)-1][1] += " " + strings.TrimSpace(string(line))
			}
			continue
		}
		name, value, ok := strings.Cut(string(line), ":")
		if !ok {
			lines = append(lines, [2]string{"", ""})
			continue
		}
		lines = append(lines, [2]string{strings.ToLower(strings.TrimSpace(name)), strings.TrimSpace(value)})
	}
	var b strings.Builder
	b.WriteString("SIP/2.0 400 Bad Request\r\n")
	seen := map[string]int{}
	for _, l := range lines {
		name, ok := answerHeaders[l[0]]
		if !ok || l[1] == "" || (name != "Via" && seen[name] > 0) {
			continue
		}
		value := l[1]
		if strings.ContainsAny(value, "\r\n\x00") {
			return "", nil // a bare CR or LF would end our header early
		}
		seen[name]++
		if name == "To" && !hasTag(value) {
			value += ";tag=" + sip.GenerateTagN(10)
		}
		b.WriteString(name + ": " + value + "\r\n")
	}
	if seen["Via"] == 0 || seen["Call-ID"] == 0 || seen["CSeq"] == 0 {
		return "", nil
	}
	b.WriteString("Server: " + server + "\r\nContent-Length: 0\r\n\r\n")
	return fields[0], []byte(b.String())
}

// hasTag reports whether a raw To value carries a tag parameter.
func hasTag(to string) bool {
	if i := strings.LastIndexByte(to, '>'); i >= 0 {
		to = to[i:]
	}
	for _, p := range strings.Split(to, ";")[1:] {
		k, _, _ := strings.Cut(p, "=")
		if strings.EqualFold(strings.TrimSpace(k), "tag") {
			return true
		}
	}
	return false
}

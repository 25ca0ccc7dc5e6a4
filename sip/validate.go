package sip

import (
	"strconv"
	"strings"

	"github.com/emiago/sipgo/sip"
)

// knownMethods are the methods of RFC 3261 and its extensions. Another
// method is not implemented (501); a known one we do not serve is not
// allowed here (405).
var knownMethods = map[sip.RequestMethod]bool{
	sip.INVITE: true, sip.ACK: true, sip.CANCEL: true, sip.BYE: true, sip.REGISTER: true,
	sip.OPTIONS: true, sip.SUBSCRIBE: true, sip.NOTIFY: true, sip.REFER: true, sip.INFO: true,
	sip.MESSAGE: true, sip.PRACK: true, sip.UPDATE: true, sip.PUBLISH: true,
}

// singleHeaders may appear once only (RFC 3261 7.3.1 and RFC 4475 3.3.8-9).
var singleHeaders = [...]string{"Call-ID", "CSeq", "From", "To", "Max-Forwards", "Content-Length", "Content-Type", "Expires"}

// repeatedSingle returns the first of singleHeaders that req holds more
// than once, or "". One pass over the headers, counting in place: this runs
// for every request. With equal lengths EqualFold is ASCII-only: a
// non-ASCII rune folding to a letter would make the name longer.
func repeatedSingle(req *sip.Request) string {
	var seen [len(singleHeaders)]int
	for _, h := range req.Headers() {
		name := h.Name()
		for i, s := range singleHeaders {
			if len(name) == len(s) && strings.EqualFold(name, s) {
				if seen[i]++; seen[i] > 1 {
					return s
				}
				break
			}
		}
	}
	return ""
}

// allowed lists the methods this server answers, for Allow headers.
const allowed = "REGISTER, OPTIONS, INVITE, ACK, BYE, CANCEL, INFO"

// check applies the checks every request must pass before any handler
// sees it (RFC 3261 8.2.1-8.2.2, RFC 4475). It returns the code and reason
// to refuse the request with, with any extra headers, or code 0.
func check(req *sip.Request) (int, string, []sip.Header) {
	if req.SipVersion != "SIP/2.0" {
		return 505, "Version Not Supported", nil
	}
	if !knownMethods[req.Method] {
		return 501, "Not Implemented", []sip.Header{sip.NewHeader("Allow", allowed)}
	}
	if name := repeatedSingle(req); name != "" {
		return 400, "Multiple " + name + " Headers", nil
	}
	if cseq := req.CSeq(); cseq == nil || cseq.MethodName != req.Method {
		return 400, "CSeq Does Not Match Method", nil
	}
	if req.From() == nil || req.To() == nil || req.CallID() == nil {
		return 400, "Missing Required Header", nil
	}
	// A branch of the magic cookie alone claims RFC 3261 transaction
	// matching but gives no ID to match by (RFC 4475 3.2.1).
	if v := req.Via(); v != nil {
		if b, _ := v.Params.Get("branch"); b == "z9hG4bK" {
			return 400, "Missing Transaction Identifier", nil
		}
	}
	if req.IsAck() || req.IsCancel() {
		return 0, "", nil // answered as part of the INVITE they belong to
	}
	if s := strings.ToLower(req.Recipient.Scheme); s != "sip" && s != "sips" {
		return 416, "Unsupported URI Scheme", nil
	}
	// We support no option tags: any Require is refused, listing its tags.
	var tags []string
	for _, h := range req.GetHeaders("Require") {
		for _, t := range strings.Split(h.Value(), ",") {
			if t = strings.TrimSpace(t); t != "" {
				tags = append(tags, t)
			}
		}
	}
	if len(tags) > 0 {
		return 420, "Bad Extension", []sip.Header{sip.NewHeader("Unsupported", strings.Join(tags, ", "))}
	}
	if cl := req.GetHeader("Content-Length"); cl != nil {
		if n, err := strconv.Atoi(strings.TrimSpace(cl.Value())); err != nil || n < 0 {
			return 400, "Bad Content-Length", nil
		}
	}
	return 0, "", nil
}

package sip

import (
	"net/netip"
	"strings"

	"github.com/emiago/sipgo/sip"
)

// A node of a cluster sits behind a SIP load balancer (Kamailio's
// dispatcher). Two things only the balancer may say are believed from it
// alone: where to reach a device it registered (Path, RFC 3327), and the
// address a call came from before it (X-PBX-Source), which decides
// whether the call is a carrier's.

// sourceHeader carries the address a request reached the balancer from.
const sourceHeader = "X-PBX-Source"

// proxies are the balancers' networks.
type proxies []netip.Prefix

// trusts reports whether the request came straight from a balancer.
func (p proxies) trusts(src string) bool {
	if len(p) == 0 {
		return false
	}
	ip := sourceAddr(src)
	for _, n := range p {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

// origin returns the address req came from: the balancer's word when a
// balancer sent it, else the packet's source.
func (p proxies) origin(req *sip.Request) string {
	if h := req.GetHeader(sourceHeader); h != nil && p.trusts(req.Source()) {
		if _, err := netip.ParseAddrPort(strings.TrimSpace(h.Value())); err == nil {
			return strings.TrimSpace(h.Value())
		}
	}
	return req.Source()
}

// path returns the REGISTER's Path header values, one string, when a
// balancer sent it.
func (p proxies) path(req *sip.Request) string {
	if !p.trusts(req.Source()) {
		return ""
	}
	var vals []string
	for _, h := range req.GetHeaders("Path") {
		vals = append(vals, h.Value())
	}
	return strings.Join(vals, ", ")
}

// routeSet turns a stored Path into Route headers, in order: a request to
// the device goes through each hop.
func routeSet(path string) ([]*sip.RouteHeader, error) {
	var out []*sip.RouteHeader
	for _, v := range splitHeaderList(path) {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		var uri sip.Uri
		var params sip.HeaderParams
		if _, err := sip.ParseAddressValue(v, &uri, &params); err != nil {
			return nil, err
		}
		out = append(out, &sip.RouteHeader{Address: uri})
	}
	return out, nil
}

// splitHeaderList splits a comma-separated header value outside <> and quotes.
func splitHeaderList(s string) []string {
	var out []string
	depth, quoted, start := 0, false, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '<':
			depth++
		case c == '>':
			depth--
		case c == ',' && depth == 0:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

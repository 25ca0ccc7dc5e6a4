package sip

import (
	"net/netip"
	"testing"

	"github.com/emiago/sipgo/sip"
)

// Where a call came from, and a REGISTER's Path, are believed from the
// balancers only: anyone else could name a carrier's address.
func TestProxyIsBelievedAlone(t *testing.T) {
	p := proxies{netip.MustParsePrefix("127.0.15.1/32")}
	req := func(src string) *sip.Request {
		r := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: "+15550001111", Host: "pbx"})
		r.AppendHeader(sip.NewHeader(sourceHeader, "203.0.113.5:5060"))
		r.AppendHeader(sip.NewHeader("Path", "<sip:127.0.15.1;lr;received=sip:192.0.2.7:5060>"))
		r.SetSource(src)
		return r
	}
	for _, tc := range []struct {
		src, origin, path string
	}{
		{"127.0.15.1:5060", "203.0.113.5:5060", "<sip:127.0.15.1;lr;received=sip:192.0.2.7:5060>"},
		{"198.51.100.9:5060", "198.51.100.9:5060", ""},
	} {
		r := req(tc.src)
		if got := p.origin(r); got != tc.origin {
			t.Errorf("from %s: origin %s, want %s", tc.src, got, tc.origin)
		}
		if got := p.path(r); got != tc.path {
			t.Errorf("from %s: path %q, want %q", tc.src, got, tc.path)
		}
	}
	if got := (proxies(nil)).origin(req("127.0.15.1:5060")); got != "127.0.15.1:5060" {
		t.Errorf("no balancers configured, origin %s", got)
	}
}

package sip

import (
	"net/url"
	"strings"

	"github.com/emiago/sipgo/sip"
)

// equalURI compares two URIs by the rules of RFC 3261 19.1.4: scheme and
// host ignore case, user and password do not (after unescaping), a port
// given in one must be given alike in the other, the parameters user, ttl,
// method, maddr and transport must agree when either has them, any other
// parameter must agree when both have it, and headers must agree. URIs
// other than sip and sips compare as text.
func equalURI(a, b sip.Uri) bool {
	as, bs := schemeOf(a), schemeOf(b)
	if !strings.EqualFold(as, bs) {
		return false
	}
	if s := strings.ToLower(as); s != "sip" && s != "sips" {
		return a.Raw() == b.Raw()
	}
	if a.Wildcard || b.Wildcard ||
		unescape(a.User) != unescape(b.User) || unescape(a.Password) != unescape(b.Password) ||
		!strings.EqualFold(unescape(a.Host), unescape(b.Host)) || a.Port != b.Port {
		return false
	}
	return paramsAgree(a.UriParams, b.UriParams) && paramsAgree(b.UriParams, a.UriParams) &&
		headersAgree(a.Headers, b.Headers) && headersAgree(b.Headers, a.Headers)
}

func schemeOf(u sip.Uri) string {
	if u.Scheme == "" {
		return "sip" // sipgo leaves it empty for a sip URI built in code
	}
	return u.Scheme
}

// significant are the URI parameters that must be on both sides or neither.
var significant = []string{"user", "ttl", "method", "maddr", "transport"}

// paramsAgree reports whether every parameter of a is matched in b as
// RFC 3261 19.1.4 asks.
func paramsAgree(a, b sip.HeaderParams) bool {
	for _, p := range a {
		v, ok := param(b, p.K)
		if !ok {
			for _, s := range significant {
				if strings.EqualFold(p.K, s) {
					return false
				}
			}
			continue
		}
		if !strings.EqualFold(unescape(p.V), unescape(v)) {
			return false
		}
	}
	return true
}

// headersAgree reports whether every header of a is in b with the same value.
func headersAgree(a, b sip.HeaderParams) bool {
	for _, h := range a {
		v, ok := param(b, h.K)
		if !ok || unescape(h.V) != unescape(v) {
			return false
		}
	}
	return true
}

func param(ps sip.HeaderParams, name string) (string, bool) {
	for _, p := range ps {
		if strings.EqualFold(p.K, name) {
			return p.V, true
		}
	}
	return "", false
}

// unescape undoes %HH escapes; a malformed escape is compared as written.
func unescape(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	u, err := url.PathUnescape(s)
	if err != nil {
		return s
	}
	return u
}

package sip

import (
	"strings"
	"testing"
)

func TestBadRequest(t *testing.T) {
	head := "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n" +
		"v: SIP/2.0/UDP 192.0.2.2;branch=z9hG4bK2\r\n" +
		"From: <sip:a@example.com>;tag=1\r\n" +
		"t: sip:b@example.com\r\n" +
		"i: bad-1\r\n" +
		"CSeq: 36893488147419103232 INVITE\r\n" +
		"Content-Length: 0\r\n\r\n"
	for _, tc := range []struct {
		name, in string
		want     []string // lines the 400 holds; nil: no answer
	}{
		{"extra SP", "INVITE  sip:b@example.com  SIP/2.0\r\n" + head, []string{
			"SIP/2.0 400 Bad Request", "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1", "Via: SIP/2.0/UDP 192.0.2.2;branch=z9hG4bK2",
			"From: <sip:a@example.com>;tag=1", "To: sip:b@example.com;tag=", "Call-ID: bad-1", "CSeq: 36893488147419103232 INVITE",
			"Content-Length: 0"}},
		{"folded Via", "OPTIONS sip:b@example.com SIP/2.0\r\nVia: SIP/2.0/UDP\r\n 192.0.2.1\r\nTo: <sip:b@example.com>;tag=x\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n",
			[]string{"Via: SIP/2.0/UDP 192.0.2.1", "To: <sip:b@example.com>;tag=x\r\n"}},
		{"unterminated header section", "OPTIONS sip:b@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h\r\ni: c\r\nCSeq: 1 OPTIONS\r\nl: 0\r\n",
			[]string{"SIP/2.0 400 Bad Request"}},
		{"a response", "SIP/2.0 200 OK\r\n" + head, nil},
		{"no CSeq", "OPTIONS sip:b@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h\r\ni: c\r\n\r\n", nil},
		{"no Via", "OPTIONS sip:b@example.com SIP/2.0\r\ni: c\r\nCSeq: 1 OPTIONS\r\n\r\n", nil},
		{"not SIP", "hello\r\n\r\n", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, res := badRequest([]byte(tc.in), "pbx")
			if tc.want == nil {
				if res != nil {
					t.Fatalf("answered %q", res)
				}
				return
			}
			for _, w := range tc.want {
				if !strings.Contains(string(res), w) {
					t.Errorf("answer lacks %q:\n%s", w, res)
				}
			}
			if strings.Count(string(res), "\r\n\r\n") != 1 || !strings.HasSuffix(string(res), "\r\n\r\n") {
				t.Errorf("answer not one message:\n%q", res)
			}
		})
	}
}

// FuzzBadRequest: whatever arrives, the answer is one SIP/2.0 400 message
// and nothing else.
func FuzzBadRequest(f *testing.F) {
	f.Add([]byte("INVITE  sip:b@example.com  SIP/2.0\r\nVia: SIP/2.0/UDP h\r\n i\r\ni: c\r\nCSeq: 1 INVITE\r\nTo: x\r\n\r\n"))
	f.Add([]byte("OPTIONS sip:b SIP/2.0\r\nv: a\r\n\tb\r\ni:\r\nCSeq:\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, res := badRequest(data, "pbx")
		if res == nil {
			return
		}
		s := string(res)
		lines := strings.ReplaceAll(s, "\r\n", "")
		if !strings.HasPrefix(s, "SIP/2.0 400 Bad Request\r\n") || strings.Index(s, "\r\n\r\n") != len(s)-4 ||
			strings.ContainsAny(lines, "\r\n") {
			t.Fatalf("not one 400: %q", s)
		}
	})
}

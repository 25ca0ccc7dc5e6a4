package sip

import (
	"bytes"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbx/configs"
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

// TestStatelessAnswerRepeatsItself sends one REGISTER twice, as a phone
// retransmits it, and another: a stateless answer must carry the same To
// tag for every copy of a request (RFC 3261 8.2.7), a new one for a new
// request, and the request's Via (with rport filled in, RFC 3581), From,
// Call-ID and CSeq.
func TestStatelessAnswerRepeatsItself(t *testing.T) {
	srv := startServer(t, func(c *configs.SIP) { c.Guard.MaxFailures = 0; c.RateLimit.Rate = 0 })
	conn, err := net.Dial("udp", srv.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	local := conn.LocalAddr().(*net.UDPAddr)
	send := func(cseq int) *sip.Response {
		t.Helper()
		msg := fmt.Sprintf("REGISTER sip:pbx SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.9:5070;branch=z9hG4bK-%d;rport\r\n"+
			"Max-Forwards: 70\r\nFrom: <sip:1001@pbx>;tag=ft\r\nTo: <sip:1001@pbx>\r\nCall-ID: tag-test\r\n"+
			"CSeq: %d REGISTER\r\nContact: <sip:1001@192.0.2.9:5070>\r\nContent-Length: 0\r\n\r\n", cseq, cseq)
		if _, err := conn.Write([]byte(msg)); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 4096)
		conn.SetReadDeadline(time.Now().Add(3 * time.Second))
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		m, err := sip.ParseMessage(buf[:n])
		if err != nil {
			t.Fatalf("answer does not parse: %v\n%s", err, buf[:n])
		}
		return m.(*sip.Response)
	}
	tag := func(r *sip.Response) string { v, _ := r.To().Params.Get("tag"); return v }
	first, again, next := send(1), send(1), send(2)
	if first.StatusCode != 401 || tag(first) == "" {
		t.Fatalf("answer %d with To tag %q, want a 401 with a tag", first.StatusCode, tag(first))
	}
	if tag(again) != tag(first) {
		t.Errorf("a retransmission's answer has To tag %q, the first had %q", tag(again), tag(first))
	}
	if tag(next) == tag(first) {
		t.Errorf("another request's answer has the same To tag %q", tag(next))
	}
	via := first.Via()
	if rport, _ := via.Params.Get("rport"); rport != strconv.Itoa(local.Port) {
		t.Errorf("Via rport=%q, want the source port %d", rport, local.Port)
	}
	if rcv, _ := via.Params.Get("received"); rcv != local.IP.String() {
		t.Errorf("Via received=%q, want %s", rcv, local.IP)
	}
	if ft, _ := first.From().Params.Get("tag"); ft != "ft" || first.CallID().Value() != "tag-test" || first.CSeq().Value() != "1 REGISTER" {
		t.Errorf("From tag %q, Call-ID %q, CSeq %q: not the request's", ft, first.CallID().Value(), first.CSeq().Value())
	}
	if b, _ := via.Params.Get("branch"); b != "z9hG4bK-1" {
		t.Errorf("Via branch %q, want the request's", b)
	}
	if first.GetHeader("Server") == nil || first.GetHeader("WWW-Authenticate") == nil {
		t.Errorf("answer lacks Server or WWW-Authenticate:\n%s", first)
	}
}

// TestRegisterRetransmissionGetsTheSameAnswer retransmits an authenticated
// REGISTER, as a phone does when the 200 is lost: answered without a
// transaction, the copy must still get a 200 with the same To tag (RFC
// 3261 17.2.2, 8.2.7), not a challenge for credentials already spent, and
// leave one binding.
func TestRegisterRetransmissionGetsTheSameAnswer(t *testing.T) {
	srv := startServer(t, func(c *configs.SIP) { c.Guard.MaxFailures = 0; c.RateLimit.Rate = 0 })
	ph := newLoadPhone(t, srv.addr)
	defer ph.close()
	if err := ph.register("1001", "alice-secret"); err != nil {
		t.Fatal(err)
	}
	first := append([]byte(nil), ph.buf[:bytes.Index(ph.buf, []byte("\r\n\r\n"))]...)
	again, err := ph.resend()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(again, []byte("SIP/2.0 200")) {
		t.Fatalf("the retransmission got %q, want 200", again[:bytes.IndexByte(again, '\r')])
	}
	toTag := func(b []byte) string {
		m, err := sip.ParseMessage(b)
		if err != nil {
			t.Fatal(err)
		}
		tag, _ := m.(*sip.Response).To().Params.Get("tag")
		return tag
	}
	if a, b := toTag(append(first, "\r\n\r\n"...)), toTag(again); a != b {
		t.Errorf("To tag %q, the first answer's was %q", b, a)
	}
	if n := srv.loc.Count(); n != 1 {
		t.Errorf("%d bindings, want 1", n)
	}
}

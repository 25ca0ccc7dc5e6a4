package sip

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/icholy/digest"

	"pbx/configs"
)

// rawPhone speaks SIP over its own UDP socket, so the test sees exactly what
// reaches the address a device behind NAT sends from.
type rawPhone struct {
	t    *testing.T
	conn *net.UDPConn
	srv  *net.UDPAddr
}

func (p *rawPhone) send(msg string) {
	p.t.Helper()
	if _, err := p.conn.WriteToUDP([]byte(strings.ReplaceAll(msg, "\n", "\r\n")), p.srv); err != nil {
		p.t.Fatal(err)
	}
}

func (p *rawPhone) read(d time.Duration) string {
	p.t.Helper()
	msg, _ := p.readFrom(d)
	return msg
}

func (p *rawPhone) readFrom(d time.Duration) (string, string) {
	p.t.Helper()
	buf := make([]byte, 4096)
	p.conn.SetReadDeadline(time.Now().Add(d))
	n, from, err := p.conn.ReadFromUDP(buf)
	if err != nil {
		p.t.Fatalf("nothing received: %v", err)
	}
	return string(buf[:n]), from.String()
}

func header(msg, name string) string {
	for _, line := range strings.Split(msg, "\r\n") {
		if v, ok := strings.CutPrefix(line, name+": "); ok {
			return v
		}
	}
	return ""
}

func TestDeviceBehindNATIsKeptAlive(t *testing.T) {
	srv := startServer(t, func(c *configs.SIP) { c.Registrar.Keepalive = 200 * time.Millisecond })
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	srvAddr, _ := net.ResolveUDPAddr("udp", srv.addr)
	p := &rawPhone{t: t, conn: conn, srv: srvAddr}
	local := conn.LocalAddr().String()

	// The phone believes it is at a private address; its packets come from local.
	register := func(cseq int, auth string) string {
		return fmt.Sprintf(`REGISTER sip:%[1]s SIP/2.0
Via: SIP/2.0/UDP 192.168.1.50:5060;branch=z9hG4bK-nat-%[2]d;rport
From: <sip:1001@%[1]s>;tag=nat
To: <sip:1001@%[1]s>
Call-ID: nat-call@192.168.1.50
CSeq: %[2]d REGISTER
Contact: <sip:1001@192.168.1.50:5060>
Max-Forwards: 70
Expires: 300
%[3]sContent-Length: 0

`, srv.addr, cseq, auth)
	}
	p.send(register(1, ""))
	res := p.read(2 * time.Second)
	if !strings.HasPrefix(res, "SIP/2.0 401") {
		t.Fatalf("want 401, got:\n%s", res)
	}
	chal, err := digest.ParseChallenge(header(res, "WWW-Authenticate"))
	if err != nil {
		t.Fatal(err)
	}
	cred, _ := digest.Digest(chal, digest.Options{Method: "REGISTER", URI: "sip:" + srv.addr, Username: "1001", Password: "alice-secret"})
	p.send(register(2, "Authorization: "+cred.String()+"\n"))
	res = p.read(2 * time.Second)
	if !strings.HasPrefix(res, "SIP/2.0 200") {
		t.Fatalf("want 200, got:\n%s", res)
	}
	// RFC 3581: the response names where the request really came from.
	_, port, _ := net.SplitHostPort(local)
	if via := header(res, "Via"); !strings.Contains(via, "received=127.0.0.1") || !strings.Contains(via, "rport="+port) {
		t.Fatalf("Via %q lacks received/rport of %s", via, local)
	}
	b := srv.Location().Lookup("1001")
	if len(b) != 1 || !b[0].NAT || b[0].Source != local {
		t.Fatalf("binding %+v: want nat, reached at %s", b, local)
	}

	// The PBX keeps the NAT binding open by pinging the source address, from
	// the address the phone registered to (a filtering NAT drops the rest).
	ping, from := p.readFrom(2 * time.Second)
	if !strings.HasPrefix(ping, "OPTIONS sip:1001@192.168.1.50:5060 SIP/2.0") {
		t.Fatalf("want an OPTIONS keepalive, got:\n%s", ping)
	}
	if from != srv.addr {
		t.Fatalf("keepalive came from %s, want the SIP listener %s", from, srv.addr)
	}
}

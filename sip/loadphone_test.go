package sip

import (
	"bytes"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/icholy/digest"
)

// loadPhone registers over a plain UDP socket with prepared text: nearly
// none of the time or the allocations it causes are its own, so
// benchmarks and load tests measure the server.
type loadPhone struct {
	server string
	conn   net.Conn
	local  string
	callID string
	cseq   int
	buf    []byte
	last   []byte // the last request sent, for resend
}

func newLoadPhone(t testing.TB, server string) *loadPhone {
	conn, err := net.Dial("udp", server)
	if err != nil {
		t.Fatal(err)
	}
	local := conn.LocalAddr().String()
	return &loadPhone{server: server, conn: conn, local: local, callID: "raw-" + local, buf: make([]byte, 4096)}
}

func (p *loadPhone) close() { p.conn.Close() }

// exchange sends one REGISTER (with the header auth when not empty) and
// returns the answer.
func (p *loadPhone) exchange(user, auth string) ([]byte, error) {
	p.cseq++
	msg := fmt.Sprintf("REGISTER sip:%s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-raw-%d;rport\r\n"+
		"Max-Forwards: 70\r\nFrom: <sip:%s@%s>;tag=raw\r\nTo: <sip:%s@%s>\r\nCall-ID: %s\r\n"+
		"CSeq: %d REGISTER\r\nContact: <sip:%s@%s>\r\nExpires: 3600\r\n%sContent-Length: 0\r\n\r\n",
		p.server, p.local, p.cseq, user, p.server, user, p.server, p.callID, p.cseq, user, p.local, auth)
	p.last = []byte(msg)
	return p.resend()
}

// resend sends the last request again, as a phone retransmits it, and
// returns the answer.
func (p *loadPhone) resend() ([]byte, error) {
	if _, err := p.conn.Write(p.last); err != nil {
		return nil, err
	}
	p.conn.SetReadDeadline(time.Now().Add(3 * time.Second))
	n, err := p.conn.Read(p.buf)
	if err != nil {
		return nil, err
	}
	return p.buf[:n], nil
}

// register sends a REGISTER, answers its challenge and expects a 200.
func (p *loadPhone) register(user, password string) error {
	res, err := p.exchange(user, "")
	if err != nil {
		return err
	}
	i := bytes.Index(res, []byte("WWW-Authenticate: "))
	if !bytes.HasPrefix(res, []byte("SIP/2.0 401")) || i < 0 {
		return fmt.Errorf("want a 401 challenge, got %q", res)
	}
	line := res[i+len("WWW-Authenticate: "):]
	line = line[:bytes.Index(line, []byte("\r\n"))]
	chal, err := digest.ParseChallenge(string(line))
	if err != nil {
		return err
	}
	cred, err := digest.Digest(chal, digest.Options{Method: "REGISTER", URI: "sip:" + p.server, Username: user, Password: password, Count: 1})
	if err != nil {
		return err
	}
	if res, err = p.exchange(user, "Authorization: "+cred.String()+"\r\n"); err != nil {
		return err
	}
	if !bytes.HasPrefix(res, []byte("SIP/2.0 200")) {
		return fmt.Errorf("want 200, got %q", res)
	}
	return nil
}

package sip

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"pbx/media"
)

// ivrRouter answers the caller itself, plays a clip and waits for a key,
// as an IVR state does.
type ivrRouter struct {
	clip *media.Clip
	keys chan rune
	errs chan error
}

func (r *ivrRouter) Route(ctx context.Context, c *Call, in Inbound) {
	if err := c.Answer(ctx); err != nil {
		r.errs <- err
		return
	}
	if err := c.Play(ctx, r.clip); err != nil {
		r.errs <- err
		return
	}
	select {
	case k := <-c.Keys():
		r.keys <- k
	case <-time.After(5 * time.Second):
		r.errs <- context.DeadlineExceeded
	case <-ctx.Done():
		r.errs <- ctx.Err()
	}
}

// callerPhone is phone user 1001 with a SIP socket of its own on port, so
// that it hears the PBX's BYE.
type callerPhone struct {
	dialogs *sipgo.DialogClientCache
	bye     chan struct{}
}

func newCallerPhone(t *testing.T, port int) *callerPhone {
	t.Helper()
	ua, _ := sipgo.NewUA(sipgo.WithUserAgent("caller-phone"))
	t.Cleanup(func() { ua.Close() })
	addr := "127.0.0.1:" + strconv.Itoa(port)
	client, _ := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"), sipgo.WithClientConnectionAddr(addr))
	srv, _ := sipgo.NewServer(ua)
	p := &callerPhone{
		dialogs: sipgo.NewDialogClientCache(client, sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "1001", Host: "127.0.0.1", Port: port}}),
		bye:     make(chan struct{}, 1),
	}
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		p.dialogs.ReadBye(req, tx)
		p.bye <- struct{}{}
	})
	l, err := net.ListenPacket("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	go srv.ServeUDP(l)
	t.Cleanup(func() { l.Close() })
	for i := 0; ; i++ {
		if c, _ := ua.TransportLayer().GetConnection("udp", addr); c != nil {
			break
		}
		if i > 100 {
			t.Fatal("caller listener not served")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return p
}

// call calls 1002 at the PBX with media on rtp and acknowledges the answer.
func (p *callerPhone) call(t *testing.T, ctx context.Context, pbx string, rtp *rtpPeer) *sipgo.DialogClientSession {
	t.Helper()
	ph, pp, _ := sip.ParseAddr(pbx)
	d, err := p.dialogs.Invite(ctx, sip.Uri{Scheme: "sip", User: "1002", Host: ph, Port: pp}, rtp.sdp(t),
		sip.NewHeader("Content-Type", "application/sdp"))
	if err != nil {
		t.Fatal(err)
	}
	if err := d.WaitAnswer(ctx, sipgo.AnswerOptions{Username: "1001", Password: "alice-secret"}); err != nil {
		t.Fatalf("no answer: %v", err)
	}
	if err := d.Ack(ctx); err != nil {
		t.Fatal(err)
	}
	return d
}

// recvRTP reads RTP packets from rtp until wait passes with none, or for
// at most a second.
func recvRTP(rtp *rtpPeer, wait time.Duration) []rtpIn {
	var got []rtpIn
	buf := make([]byte, 1500)
	for end := time.Now().Add(time.Second); time.Now().Before(end); {
		rtp.conn.SetReadDeadline(time.Now().Add(wait))
		n, err := rtp.conn.Read(buf)
		if err != nil {
			return got
		}
		if n >= 12 {
			got = append(got, rtpIn{append([]byte(nil), buf[:n]...), time.Now()})
		}
	}
	return got
}

type rtpIn struct {
	b  []byte
	at time.Time
}

func (p rtpIn) seq() uint16 { return uint16(p.b[2])<<8 | uint16(p.b[3]) }
func (p rtpIn) ts() uint32 {
	return uint32(p.b[4])<<24 | uint32(p.b[5])<<16 | uint32(p.b[6])<<8 | uint32(p.b[7])
}
func (p rtpIn) ssrc() uint32 {
	return uint32(p.b[8])<<24 | uint32(p.b[9])<<16 | uint32(p.b[10])<<8 | uint32(p.b[11])
}

// The PBX answers a caller itself, plays a prompt paced as RTP, takes a key
// sent as SIP INFO, and hangs up with a BYE when the flow is done.
func TestPBXAnswersPlaysAndTakesInfoKeys(t *testing.T) {
	clip := media.Tone(440, 300*time.Millisecond, 0.5) // 15 packets
	router := &ivrRouter{clip: clip, keys: make(chan rune, 1), errs: make(chan error, 1)}
	srv, _ := startCallServer(t, router)
	rtp := newRTPPeer(t)
	caller := newCallerPhone(t, 6094)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d := caller.call(t, ctx, srv.addr, rtp)

	got := recvRTP(rtp, 300*time.Millisecond)
	if len(got) != 15 {
		t.Fatalf("caller got %d packets of a 15-packet prompt", len(got))
	}
	want := clip.Encoded(media.PCMU)
	for i, p := range got {
		if p.b[1]&0x7f != 0 || (p.b[1]&0x80 != 0) != (i == 0) || p.seq() != got[0].seq()+uint16(i) ||
			p.ts() != got[0].ts()+uint32(i*160) || p.ssrc() != got[0].ssrc() {
			t.Fatalf("packet %d: header % x", i, p.b[:12])
		}
		if string(p.b[12:]) != string(want[i*160:(i+1)*160]) {
			t.Fatalf("packet %d does not carry the prompt", i)
		}
	}
	if span := got[14].at.Sub(got[0].at); span < 260*time.Millisecond || span > 340*time.Millisecond {
		t.Errorf("15 packets spread over %v, want 280 ms", span)
	}

	info := func(ct, body string) int {
		t.Helper()
		req := sip.NewRequest(sip.INFO, d.InviteResponse.Contact().Address)
		req.AppendHeader(sip.NewHeader("Content-Type", ct))
		req.SetBody([]byte(body))
		res, err := d.Do(ctx, req)
		if err != nil {
			t.Fatalf("INFO: %v", err)
		}
		return res.StatusCode
	}
	if code := info("text/plain", "5"); code != 415 {
		t.Errorf("INFO text/plain answered %d, want 415", code)
	}
	if code := info("application/dtmf-relay", "Signal=5\r\nDuration=160\r\n"); code != 200 {
		t.Fatalf("INFO dtmf-relay answered %d", code)
	}
	select {
	case k := <-router.keys:
		if k != '5' {
			t.Fatalf("key %q, want '5'", k)
		}
	case err := <-router.errs:
		t.Fatal(err)
	case <-ctx.Done():
		t.Fatal("no key")
	}
	select {
	case <-caller.bye:
	case <-ctx.Done():
		t.Fatal("the PBX did not hang up the call it answered")
	}
}

// An agent who holds the call plays the caller hold music, which stops when
// they resume.
func TestAgentHoldPlaysMusicToTheCaller(t *testing.T) {
	router := &userRouter{user: 7, outcome: make(chan error, 1)}
	srv, _ := startCallServer(t, router)
	agentRTP, callerRTP := newRTPPeer(t), newRTPPeer(t)
	answered := agentPhone(t, srv.addr, "1002", "bob-secret", agentRTP)
	caller := newCallerPhone(t, 6095)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d := caller.call(t, ctx, srv.addr, callerRTP)
	agent := <-answered

	reinvite := func(dir string) {
		t.Helper()
		req := sip.NewRequest(sip.INVITE, agent.InviteRequest.Contact().Address)
		req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
		req.SetBody([]byte(strings.Replace(string(agentRTP.sdp(t)), "a=sendrecv", "a="+dir, 1)))
		res, err := agent.Do(ctx, req)
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("agent re-INVITE %s: %v %v", dir, res, err)
		}
	}
	if got := recvRTP(callerRTP, 200*time.Millisecond); len(got) != 0 {
		t.Fatalf("caller got %d packets before hold", len(got))
	}
	reinvite("sendonly")
	music := recvRTP(callerRTP, 100*time.Millisecond)
	if len(music) < 40 {
		t.Fatalf("caller on hold got %d packets in a second", len(music))
	}
	loud := 0
	for _, p := range music {
		if p.ssrc() != music[0].ssrc() {
			t.Fatal("hold music changed SSRC")
		}
		for _, b := range p.b[12:] {
			if b != 0xFF && b != 0x7F {
				loud++
				break
			}
		}
	}
	if loud < len(music)/2 {
		t.Errorf("%d of %d hold packets carry sound", loud, len(music))
	}
	reinvite("sendrecv")
	recvRTP(callerRTP, 60*time.Millisecond) // what was in flight
	if got := recvRTP(callerRTP, 300*time.Millisecond); len(got) != 0 {
		t.Errorf("caller still got %d packets after resume", len(got))
	}
	d.Bye(ctx)
	if err := <-router.outcome; err != ErrCallerGone {
		t.Fatalf("call ended with %v", err)
	}
}

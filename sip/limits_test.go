package sip

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"

	"pbx/configs"
	"pbx/refusal"
)

func TestLimits(t *testing.T) {
	a, b := netip.MustParseAddr("198.51.100.1"), netip.MustParseAddr("198.51.100.2")
	l := newLimits(configs.Limits{CallsPerUser: 2, CallsPerSource: 3, CallsPerTrunk: 1})
	admit := func(in Inbound, src netip.Addr, want int, wantLimit string) []func() {
		t.Helper()
		free, code, limit := l.admit(in, src)
		if code != want || limit != wantLimit || (code == 0) != (free != nil) {
			t.Fatalf("admit %+v from %s: %d %q, want %d %q", in, src, code, limit, want, wantLimit)
		}
		return free
	}
	alice1 := admit(Inbound{From: "alice"}, a, 0, "")
	admit(Inbound{From: "alice"}, a, 0, "")
	admit(Inbound{From: "alice"}, b, 486, limitUser) // her third call, from anywhere
	admit(Inbound{From: "bob"}, a, 0, "")
	admit(Inbound{From: "carol"}, a, 503, limitSource) // a's fourth call
	admit(Inbound{From: "carol"}, b, 0, "")
	for _, free := range alice1 {
		free()
		free() // twice gives back one place
	}
	admit(Inbound{From: "alice"}, a, 0, "")
	admit(Inbound{From: "dave"}, a, 503, limitSource)

	carrier := admit(Inbound{TrunkID: 1}, a, 0, "")
	admit(Inbound{TrunkID: 1}, a, 503, limitTrunk)
	admit(Inbound{TrunkID: 2}, a, 0, "") // trunks count apart, and not by source
	if _, ok := l.takeTrunk(1); ok {
		t.Fatal("an outbound call took a full trunk")
	}
	carrier[0]()
	free, ok := l.takeTrunk(1)
	if !ok {
		t.Fatal("an outbound call found the trunk full after its call ended")
	}
	free()

	unlimited := newLimits(configs.Limits{})
	for range 1000 {
		if _, code, _ := unlimited.admit(Inbound{From: "alice"}, a); code != 0 {
			t.Fatal("0 caps nothing")
		}
	}
}

// holdRouter keeps every call ringing until it ends.
type holdRouter struct{ routed chan *Call }

func (r holdRouter) Route(ctx context.Context, c *Call, in Inbound) {
	c.Ring()
	r.routed <- c
	<-ctx.Done()
}

// A user's second call over calls_per_user gets 486; another user's call
// from the same address over calls_per_source gets 503.
func TestCallsOverALimitAreRefused(t *testing.T) {
	for _, tc := range []struct {
		name   string
		limits configs.Limits
		second string // who places the second call
		want   int
	}{
		{"per user", configs.Limits{CallsPerUser: 1}, "1001", 486},
		{"per source", configs.Limits{CallsPerSource: 1}, "1002", 503},
		{"under the caps", configs.Limits{CallsPerUser: 2, CallsPerSource: 2}, "1001", 180},
	} {
		t.Run(tc.name, func(t *testing.T) {
			router := holdRouter{routed: make(chan *Call, 2)}
			srv, _ := startCallServerWith(t, router, func(c *configs.SIP) { c.Limits = tc.limits })
			ua, _ := sipgo.NewUA()
			t.Cleanup(func() { ua.Close() }) // after the calls' cleanups below
			client, _ := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"))
			ph, pp, _ := sip.ParseAddr(srv.addr)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			t.Cleanup(cancel)
			call := func(user, password string) (*sipgo.DialogClientSession, int) {
				t.Helper()
				caller := sipgo.NewDialogClientCache(client, sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: user, Host: "127.0.0.1", Port: 6093}})
				d, err := caller.Invite(ctx, sip.Uri{Scheme: "sip", User: "1003", Host: ph, Port: pp}, newRTPPeer(t).sdp(t),
					sip.NewHeader("Content-Type", "application/sdp"))
				if err != nil {
					t.Fatal(err)
				}
				ringing, done := make(chan struct{}), make(chan error, 1)
				var once sync.Once
				wctx, stop := context.WithCancel(ctx)
				go func() {
					done <- d.WaitAnswer(wctx, sipgo.AnswerOptions{Username: user, Password: password,
						OnResponse: func(res *sip.Response) error {
							if res.StatusCode == 180 {
								once.Do(func() { close(ringing) })
							}
							return nil
						}})
				}()
				code := 0
				select {
				case <-ringing:
					code = 180
				case err := <-done:
					var de *sipgo.ErrDialogResponse
					if errors.As(err, &de) {
						code = de.Res.StatusCode
					}
				case <-time.After(3 * time.Second):
				}
				// The call is cancelled (a CANCEL goes out) and its
				// transaction ends before the phone's UA closes.
				t.Cleanup(func() {
					stop()
					if code == 180 {
						<-done
					}
					d.Close()
				})
				return d, code
			}
			if _, code := call("1001", "alice-secret"); code != 180 {
				t.Fatalf("first call: %d", code)
			}
			<-router.routed
			password := map[string]string{"1001": "alice-secret", "1002": "bob-secret"}[tc.second]
			if _, code := call(tc.second, password); code != tc.want {
				t.Fatalf("second call by %s: %d, want %d", tc.second, code, tc.want)
			}
		})
	}
}

// rejectRouter sends the call somewhere (its media is opened), then
// refuses it, as a flow does when the agent it rang is busy.
type rejectRouter struct{ rejected chan struct{} }

func (r rejectRouter) Route(ctx context.Context, c *Call, in Inbound) {
	if _, err := c.openMedia(); err != nil {
		panic(err)
	}
	c.Refuse(refusal.Busy)
	close(r.rejected) // Refuse returns once the caller ACKs, or after Timer H
}

// A refused call gives its media ports back with the refusal, not when the
// caller ACKs it (or the transaction times out after 32 s when it does
// not): the caller here never ACKs.
func TestRefusedCallGivesPortsBackWithoutTheACK(t *testing.T) {
	router := rejectRouter{rejected: make(chan struct{})}
	srv, _ := startCallServer(t, router)
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	pbx, _ := net.ResolveUDPAddr("udp", srv.addr)
	local := conn.LocalAddr().(*net.UDPAddr)
	ph, pp, _ := sip.ParseAddr(srv.addr)
	uri := sip.Uri{Scheme: "sip", User: "1003", Host: ph, Port: pp}
	invite := func(cseq uint32, auth string) {
		t.Helper()
		req := sip.NewRequest(sip.INVITE, uri)
		req.AppendHeader(&sip.ViaHeader{ProtocolName: "SIP", ProtocolVersion: "2.0", Transport: "UDP", Host: "127.0.0.1", Port: local.Port,
			Params: sip.HeaderParams{{K: "branch", V: sip.GenerateBranch()}}})
		req.AppendHeader(&sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: "1001", Host: ph}, Params: sip.HeaderParams{{K: "tag", V: "noack"}}})
		req.AppendHeader(&sip.ToHeader{Address: uri})
		callID := sip.CallIDHeader("no-ack-call")
		req.AppendHeader(&callID)
		req.AppendHeader(&sip.CSeqHeader{SeqNo: cseq, MethodName: sip.INVITE})
		req.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "1001", Host: "127.0.0.1", Port: local.Port}})
		if auth != "" {
			req.AppendHeader(sip.NewHeader("Proxy-Authorization", auth))
		}
		req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
		req.SetBody(newRTPPeer(t).sdp(t))
		if _, err := conn.WriteToUDP([]byte(req.String()), pbx); err != nil {
			t.Fatal(err)
		}
	}
	final := func() *sip.Response {
		t.Helper()
		buf := make([]byte, 4096)
		for {
			conn.SetReadDeadline(time.Now().Add(3 * time.Second))
			n, err := conn.Read(buf)
			if err != nil {
				t.Fatalf("no final answer: %v", err)
			}
			msg, err := sip.NewParser().ParseSIP(buf[:n])
			if err != nil {
				t.Fatal(err)
			}
			if res, ok := msg.(*sip.Response); ok && res.StatusCode >= 200 {
				return res
			}
		}
	}
	invite(1, "")
	res := final()
	h := res.GetHeader("Proxy-Authenticate")
	if res.StatusCode != 407 || h == nil {
		t.Fatalf("first INVITE: %d", res.StatusCode)
	}
	chal, err := digest.ParseChallenge(h.Value())
	if err != nil {
		t.Fatal(err)
	}
	cred, err := digest.Digest(chal, digest.Options{Method: "INVITE", URI: uri.String(), Username: "1001", Password: "alice-secret", Count: 1, Cnonce: "c0ffee"})
	if err != nil {
		t.Fatal(err)
	}
	invite(2, cred.String())
	if res := final(); res.StatusCode != 486 || res.Reason != "Busy Here" {
		t.Fatalf("INVITE with credentials: %d %s, want the router's refusal, busy: 486 Busy Here", res.StatusCode, res.Reason)
	}
	// The 486 goes out after the ports are closed: no wait needed.
	if n := srv.ports.InUse(); n != 0 {
		t.Fatalf("%d port pairs held by a call refused 486 and not ACKed", n)
	}
	select {
	case <-router.rejected:
		t.Fatal("Refuse returned without an ACK: the test does not show what it means to")
	default:
	}
}
